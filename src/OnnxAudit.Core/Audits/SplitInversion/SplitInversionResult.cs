using OnnxAudit.Graph;
using OnnxAudit.Metrics;

namespace OnnxAudit.Audits.SplitInversion;

/// <summary>One attack at one split point.</summary>
/// <param name="Attack">Which attack.</param>
/// <param name="Settings">Hyperparameters used, one line (iterations, learning rate, λ_TV, training steps, architecture).</param>
/// <param name="Psnr">PSNR (dB, peak 1) per target image, in target order.</param>
/// <param name="Ssim">SSIM per target image.</param>
/// <param name="MeanPsnr">Mean PSNR with its 95% t interval (infinite values capped at 100 dB).</param>
/// <param name="MeanSsim">Mean SSIM with its 95% t interval.</param>
/// <param name="Unsafe">Mean PSNR or mean SSIM at or above the thresholds.</param>
/// <param name="Reconstructions">Reconstructed images (C×H×W in [0,1]), in target order.</param>
/// <param name="Seconds">Wall-clock time of the attack (training included).</param>
/// <param name="Note">Why it was skipped or anything unusual; null otherwise.</param>
/// <param name="Budget">The attack's budget and what it used (e.g. "140/300 steps (stopped: held-out loss plateaued…)"),
/// stated beside a "safe" verdict; null when the attack has no training budget.</param>
public sealed record AttackOutcome(
    SplitAttack Attack,
    string Settings,
    IReadOnlyList<double> Psnr,
    IReadOnlyList<double> Ssim,
    Interval MeanPsnr,
    Interval MeanSsim,
    bool Unsafe,
    IReadOnlyList<ReadOnlyMemory<float>> Reconstructions,
    double Seconds,
    string? Note = null,
    string? Budget = null)
{
    /// <summary>True when the attack produced reconstructions.</summary>
    public bool Ran => Reconstructions.Count > 0;
}

/// <summary>The verdict for one split point.</summary>
/// <param name="Point">The split point (tensor, shape, prefix layers).</param>
/// <param name="Depth">1-based position among the model's split points (execution order).</param>
/// <param name="Class">The white-box depth class (see <see cref="WhiteBoxHyperparameters.Rule"/>).</param>
/// <param name="Attacks">Outcomes in the order requested.</param>
/// <param name="Unsafe">Any attack unsafe.</param>
public sealed record SplitPointResult(SplitPoint Point, int Depth, DepthClass Class, IReadOnlyList<AttackOutcome> Attacks, bool Unsafe)
{
    /// <summary>Later split points that are only a reshape of <see cref="Point"/> (same information): not attacked again,
    /// they take this point's verdict.</summary>
    public IReadOnlyList<SplitPoint> Equivalent { get; init; } = [];
}

/// <summary>Result of <see cref="SplitInversionAuditor.Run"/>. Immutable.</summary>
/// <param name="ModelOrigin">The model path.</param>
/// <param name="DataSource">The data the targets came from.</param>
/// <param name="AuxSource">Where the auxiliary data came from (the data minus targets, or the aux file).</param>
/// <param name="AuxImages">Auxiliary images used for training.</param>
/// <param name="ImageShape">C, H, W.</param>
/// <param name="TargetIndices">Indices of the target images in the data.</param>
/// <param name="Originals">The target images (C×H×W in [0,1]).</param>
/// <param name="Points">Per split point, in execution order.</param>
/// <param name="Thresholds">Verdict thresholds.</param>
/// <param name="Recommended">The earliest safe split point by <see cref="RecommendationRule"/>, or null when none is safe.</param>
/// <param name="Seed">Seed used.</param>
/// <param name="Quick">Whether the quick settings were used.</param>
public sealed record SplitInversionResult(
    string ModelOrigin,
    string DataSource,
    string AuxSource,
    int AuxImages,
    (int C, int H, int W) ImageShape,
    IReadOnlyList<int> TargetIndices,
    IReadOnlyList<ReadOnlyMemory<float>> Originals,
    IReadOnlyList<SplitPointResult> Points,
    SplitThresholds Thresholds,
    SplitPoint? Recommended,
    int Seed,
    bool Quick)
{
    /// <summary>The time plan the audit ran under (null when built by hand).</summary>
    public SplitPlan? Plan { get; init; }

    /// <summary>How a split point is judged.</summary>
    public string VerdictRule => string.Create(System.Globalization.CultureInfo.InvariantCulture,
        $"a split point is unsafe when any attack reaches a mean PSNR ≥ {Thresholds.Psnr} dB or a mean SSIM ≥ {Thresholds.Ssim} over the target images");

    /// <summary>How the recommendation is chosen.</summary>
    // why: f1 at a later point is a function of f1 at an earlier one, so whatever an attacker recovers from the later
    // tensor can be recovered from the earlier one; a safe verdict followed by an unsafe one means the earlier measurement
    // under-estimates the attacks. Recommend only a point after which every audited point is safe too.
    public const string RecommendationRule =
        "the earliest audited split point that is safe and after which every audited split point is safe as well";

    /// <summary>The verdict (<see cref="SplitVerdict"/>): risk, rule and sentence, read by the summary, the finding, the
    /// JSON and the exit code.</summary>
    public Verdict Verdict => SplitVerdict.Of(this);

    /// <summary>The split point <see cref="RecommendationRule"/> picks among <paramref name="points"/> (execution order), or null.</summary>
    public static SplitPoint? Recommend(IReadOnlyList<SplitPointResult> points)
    {
        ArgumentNullException.ThrowIfNull(points);
        SplitPoint? recommended = null;
        for (var i = points.Count - 1; i >= 0 && !points[i].Unsafe; i--) recommended = points[i].Point;
        return recommended;
    }

    /// <summary>True when any audited split point is unsafe.</summary>
    public bool AnyUnsafe => Points.Any(p => p.Unsafe);
}
