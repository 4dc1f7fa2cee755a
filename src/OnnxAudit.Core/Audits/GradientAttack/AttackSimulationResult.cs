using OnnxAudit.Audits.Exclusivity;
using OnnxAudit.Runtime;

namespace OnnxAudit.Audits.GradientAttack;

/// <summary>Options of the attack simulation.</summary>
/// <param name="BatchSize">M of the victim's batches.</param>
/// <param name="InsecureBatches">Batches drawn from the insecure boundary (default 4).</param>
/// <param name="RandomBatches">Batches drawn at random (default 4).</param>
/// <param name="Seed">Seed of the batch choice.</param>
/// <param name="Attack">Attack tolerance.</param>
/// <param name="Runtime">ONNX Runtime options (forward pass and gradient session).</param>
/// <param name="MaxSearch">Sampled batches scanned to find insecure ones.</param>
public sealed record AttackSimulationOptions(int BatchSize = 8, int InsecureBatches = 4, int RandomBatches = 4, int Seed = 0,
    GradientAttackOptions? Attack = null, RuntimeOptions? Runtime = null, int MaxSearch = 20000)
{
    /// <summary>Stage 2 of the hybrid attack for CNN classifiers (head input ≠ image); null = <see cref="FeatureMatchingOptions.Default"/>,
    /// <see cref="FeatureMatchingOptions.Off"/> = stage 1 only. Ignored for FCNs.</summary>
    public FeatureMatchingOptions? FeatureMatching { get; init; }

    /// <summary>M = 8, 4 insecure + 4 random batches, seed 0.</summary>
    public static AttackSimulationOptions Default { get; } = new();
}

/// <summary>One victim sample after the attack, matched to a recovered sample (Hungarian on MSE).</summary>
/// <param name="DatasetIndex">Index in the data set.</param>
/// <param name="TrueLabel">The victim's label.</param>
/// <param name="RecoveredLabel">The matched recovered sample's label, or null if none matched.</param>
/// <param name="Mse">MSE between the true and recovered head input (image for an FCN, Φ(x) for a CNN); NaN if none.</param>
/// <param name="Psnr">PSNR (peak 1) of the recovered image: the head input for an FCN, the stage-2 image for a CNN; +∞ for an
/// exact match; NaN if none, not an image, or a CNN without stage 2.</param>
/// <param name="Ssim">SSIM of the same image pair (NaN otherwise).</param>
/// <param name="Reconstruction">The recovered head input (same layout as the sample), or null.</param>
public sealed record SampleOutcome(int DatasetIndex, int TrueLabel, int? RecoveredLabel, double Mse, double Psnr, double Ssim, float[]? Reconstruction)
{
    /// <summary>The victim's image (C×H×W, as fed to the model).</summary>
    public float[]? Original { get; init; }

    /// <summary>The recovered image (C×H×W): the head input for an FCN, the stage-2 result for a CNN; null when none.</summary>
    public float[]? ImageReconstruction { get; init; }
}

/// <summary>The attack on one victim batch.</summary>
/// <param name="DatasetIndices">The batch.</param>
/// <param name="State">Its exclusivity state (ground truth from the activation masks).</param>
/// <param name="ExanCounts">N_i^m, [layer][sample].</param>
/// <param name="InferredBatchSize">B.1's batch size (number of groups).</param>
/// <param name="LabelAccuracy">Share of victim samples whose matched recovered label is right.</param>
/// <param name="MeanPsnr">Mean PSNR over victim samples (+∞ capped at 150 dB; unmatched samples count as NaN and are excluded, see <see cref="Recovered"/>).</param>
/// <param name="MeanSsim">Mean SSIM over matched samples.</param>
/// <param name="Recovered">Victim samples with a recovered input.</param>
/// <param name="ScaleMethod">How the loss-vector scales were fixed.</param>
/// <param name="InputMethod">Input recovery method.</param>
/// <param name="Samples">Per victim sample.</param>
/// <param name="Notes">The attack's diagnostics.</param>
/// <param name="Explanation">For batches outside the insecure boundary: which condition failed for which sample and what the attack did.</param>
public sealed record BatchAttackOutcome(int[] DatasetIndices, ExclusivityState State, int[][] ExanCounts, int InferredBatchSize,
    double LabelAccuracy, double MeanPsnr, double MeanSsim, int Recovered, LossScaleMethod ScaleMethod, string InputMethod,
    IReadOnlyList<SampleOutcome> Samples, IReadOnlyList<string> Notes, string? Explanation)
{
    /// <summary>True batch size M.</summary>
    public int TrueBatchSize => DatasetIndices.Length;
}

/// <summary>Aggregates over a group of batches.</summary>
/// <param name="Batches">Number of batches.</param>
/// <param name="BatchSizeExact">Batches whose inferred size equals M.</param>
/// <param name="LabelAccuracy">Correct labels / victim samples.</param>
/// <param name="MeanPsnr">Mean of the per-sample PSNR (capped at 150 dB) over recovered samples; NaN if none.</param>
/// <param name="MeanSsim">Mean SSIM over recovered samples.</param>
/// <param name="RecoveredShare">Recovered samples / victim samples.</param>
public sealed record AttackSummary(int Batches, int BatchSizeExact, double LabelAccuracy, double MeanPsnr, double MeanSsim, double RecoveredShare);

/// <summary>The result of <see cref="GradientAttackSimulation"/>.Run.</summary>
/// <param name="ModelOrigin">Model file.</param>
/// <param name="HeadIsWholeModel">True for a plain FCN (the head input is the image); false for a CNN head (hybrid attack).</param>
/// <param name="SampleDims">Shape of one sample (C, H, W) for image grids.</param>
/// <param name="Batches">All attacked batches (insecure first).</param>
/// <param name="Insecure">Summary over insecure batches.</param>
/// <param name="Random">Summary over the random batches.</param>
/// <param name="Stage">"analytic (FCN)", "hybrid attack: stage 1 analytic, stage 2 feature matching (N iterations, λ_TV …)" for a CNN,
/// or "stage 1 only (…)" when stage 2 was turned off.</param>
public sealed record AttackSimulationResult(string ModelOrigin, bool HeadIsWholeModel, long[] SampleDims, IReadOnlyList<BatchAttackOutcome> Batches,
    AttackSummary Insecure, AttackSummary Random, string Stage)
{
    /// <summary>The stage-2 options used for a CNN (null for an FCN or when stage 2 was off).</summary>
    public FeatureMatchingOptions? FeatureMatching { get; init; }
}
