namespace OnnxAudit.Audits.Federated;

/// <summary>One attack over the audited batches.</summary>
/// <param name="Attack">"analytic (Pan et al.)", "hybrid (…)", "Inverting Gradients" or "DLG".</param>
/// <param name="Budget">The budget / method line shown in the report.</param>
/// <param name="Scores">Per batch.</param>
/// <param name="Reconstructions">Per batch, the M reconstructed images in matched order (true sample t ↔ element t; null when unmatched).</param>
/// <param name="Seconds">Total wall-clock time.</param>
/// <param name="Note">Why the attack did not apply, or a diagnostic; null when none.</param>
public sealed record FederatedAttackOutcome(string Attack, string Budget, IReadOnlyList<ReconstructionScore> Scores, IReadOnlyList<float[]?[]> Reconstructions,
    double Seconds, string? Note = null)
{
    /// <summary>Mean PSNR over every attacked sample (NaN when the attack did not run).</summary>
    public double MeanPsnr => Scores.Count == 0 ? double.NaN : Scores.SelectMany(s => s.Psnr).Average();

    /// <summary>Mean SSIM over samples where defined.</summary>
    public double MeanSsim => Scores.SelectMany(s => s.Ssim).Where(double.IsFinite).DefaultIfEmpty(double.NaN).Average();

    /// <summary>Mean multiset label accuracy.</summary>
    public double LabelAccuracy => Scores.Count == 0 ? double.NaN : Scores.Average(s => s.LabelAccuracy);
}

/// <summary>One defence evaluated with the Inverting attack on the audited batches.</summary>
/// <param name="Defence">The defence.</param>
/// <param name="MeanPsnr">Attack PSNR after the defence.</param>
/// <param name="LabelAccuracy">Label accuracy from the defended gradient.</param>
/// <param name="Distortion">Cost: ‖g̃ − g‖/‖g‖ of the shared update (mean over batches).</param>
/// <param name="Leaks">Whether the attack still succeeds (PSNR ≥ the leak threshold).</param>
public sealed record DefenceOutcome(GradientDefence Defence, double MeanPsnr, double LabelAccuracy, double Distortion, bool Leaks)
{
    /// <summary>Mean cos(g̃, g) of the shared update to the clean gradient (how much of the direction the attack matches survives);
    /// NaN for defences that change the model or the batch.</summary>
    public double Cosine { get; init; } = double.NaN;

    /// <summary>DP-SGD only: mean over the batches of ρ = σC√P / ‖Σ_m clip_C(g_m)‖, the noise norm over the clipped signal
    /// (<see cref="DpSgdSweep.NoiseToSignal"/>); NaN for other defences.</summary>
    public double NoiseToSignal { get; init; } = double.NaN;
}

/// <summary>Exclusivity of the features entering a single-Linear head (the analogue of ExANs for that layer).</summary>
/// <param name="Width">Feature width F.</param>
/// <param name="ExclusiveCounts">Per batch, per sample: features non-zero for that sample only.</param>
/// <param name="Rule">The rule used, in words.</param>
/// <param name="InsecureBatches">Batches in which every sample has ≥ 2 exclusive features.</param>
public sealed record LinearHeadExclusivity(int Width, IReadOnlyList<int[]> ExclusiveCounts, string Rule, int InsecureBatches);

/// <summary>The federated-leakage audit of one model.</summary>
/// <param name="ModelOrigin">Model file.</param>
/// <param name="SampleDims">(C, H, W) of one sample.</param>
/// <param name="BatchSize">M.</param>
/// <param name="BatchIndices">Dataset indices of the attacked batches.</param>
/// <param name="Originals">Per batch, the M true images.</param>
/// <param name="TrueLabels">Per batch, the true labels.</param>
/// <param name="InferredLabels">Per batch, the labels read from the gradient.</param>
/// <param name="LabelMethod">iDLG or the bias-gradient multiset.</param>
/// <param name="Attacks">Side by side as the paper's Table 2.</param>
/// <param name="Defences">The defence table.</param>
/// <param name="HeadExclusivity">For single-Linear heads, the exclusive-feature statistics; else null.</param>
/// <param name="Verdict">The verdict sentence.</param>
/// <param name="VerdictRule">The rule behind it.</param>
/// <param name="Recommendation">The weakest evaluated defence that makes the strongest attack fail, or a sentence saying none did.</param>
/// <param name="Leaks">Whether the strongest attack succeeds at the deployment batch size.</param>
public sealed record FederatedAuditResult(string ModelOrigin, long[] SampleDims, int BatchSize, IReadOnlyList<int[]> BatchIndices,
    IReadOnlyList<float[]> Originals, IReadOnlyList<long[]> TrueLabels, IReadOnlyList<long[]> InferredLabels, LabelMethod LabelMethod,
    IReadOnlyList<FederatedAttackOutcome> Attacks, IReadOnlyList<DefenceOutcome> Defences, LinearHeadExclusivity? HeadExclusivity,
    string Verdict, string VerdictRule, string Recommendation, bool Leaks)
{
    /// <summary>Why the defences were not attacked (quick runs whose undefended attack fails); null when they were.</summary>
    public string? DefenceNote { get; init; }

    /// <summary>The DP-SGD noise floor: mean PSNR of the Inverting attack whose target is the DP-SGD noise alone (the same draw,
    /// no signal; <see cref="GradientDefences.NoiseOnly"/>) on the same batches and budget; NaN when not measured.</summary>
    public double NoiseFloorPsnr { get; init; } = double.NaN;

    /// <summary>Label accuracy of the noise-floor run (labels read from the noise alone).</summary>
    public double NoiseFloorLabelAccuracy { get; init; } = double.NaN;

    /// <summary>Why the DP-SGD sweep was not run although asked for; null otherwise.</summary>
    public string? DpSgdSweepNote { get; init; }

    /// <summary>The attack with the highest mean PSNR (the one the verdict uses).</summary>
    public FederatedAttackOutcome? Strongest => Attacks.Where(a => double.IsFinite(a.MeanPsnr)).MaxBy(a => a.MeanPsnr);
}

/// <summary>The verdict of a <see cref="FederatedAuditResult"/>.</summary>
public static class FederatedAuditVerdict
{
    /// <summary>High when the strongest attack leaks (PSNR ≥ threshold), Low when labels are still read (≥ 50 %) but no image,
    /// None otherwise; NotAssessed when no attack ran.</summary>
    public static Verdict Of(FederatedAuditResult r)
    {
        ArgumentNullException.ThrowIfNull(r);
        var labelAcc = r.InferredLabels.Zip(r.TrueLabels, (a, t) => LabelInference.MultisetAccuracy(t, a)).DefaultIfEmpty(double.NaN).Average();
        var risk = r.Strongest is null ? Risk.NotAssessed : r.Leaks ? Risk.High : labelAcc >= 0.5 ? Risk.Low : Risk.None;
        return new Verdict(risk, r.VerdictRule + "; Low when no image is reconstructed but ≥ 50 % of the labels are read from the gradient", r.Verdict);
    }
}
