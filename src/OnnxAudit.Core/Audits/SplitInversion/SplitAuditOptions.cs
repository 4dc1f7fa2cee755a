using OnnxAudit.Data;
using OnnxAudit.Runtime;

namespace OnnxAudit.Audits.SplitInversion;

/// <summary>The inversion attacks of He et al.</summary>
public enum SplitAttack
{
    /// <summary>White-box regularised maximum likelihood (the attacker knows f1).</summary>
    WhiteBox,
    /// <summary>Black-box inverse network trained on (f1(x), x) pairs of auxiliary data (the attacker can query f1).</summary>
    BlackBox,
    /// <summary>Query-free: a shadow prefix trained through the frozen suffix f2, then inverted white-box.</summary>
    QueryFree,
}

/// <summary>When a split point counts as unsafe: an attack whose mean PSNR or mean SSIM reaches a threshold.</summary>
/// <param name="Psnr">Mean PSNR in dB (peak 1) at or above which reconstructions are recognisable.</param>
/// <param name="Ssim">Mean SSIM at or above which reconstructions are recognisable.</param>
public sealed record SplitThresholds(double Psnr = 20, double Ssim = 0.5)
{
    /// <summary>20 dB / 0.5.</summary>
    public static SplitThresholds Default { get; } = new();
}

/// <summary>Options of <see cref="SplitInversionAuditor.Run"/>.</summary>
public sealed record SplitAuditOptions
{
    /// <summary>Audit only this split tensor (null = every split point of the analysis).</summary>
    public string? At { get; init; }

    /// <summary>Which attacks to run.</summary>
    public IReadOnlyList<SplitAttack> Attacks { get; init; } = [SplitAttack.WhiteBox, SplitAttack.BlackBox, SplitAttack.QueryFree];

    /// <summary>Target images attacked (drawn from the data with <see cref="Seed"/>; the rest is auxiliary data).</summary>
    public int Images { get; init; } = 8;

    /// <summary>White-box iterations for every split point (null = the depth-class default, 5000; 300 with <see cref="Quick"/>).</summary>
    public int? Iterations { get; init; }

    /// <summary>White-box learning rate (null = depth-class default).</summary>
    public double? Lr { get; init; }

    /// <summary>White-box λ_TV (null = depth-class default).</summary>
    public double? Tv { get; init; }

    /// <summary>Most Adam steps for training the inverse network and the shadow prefix (null = 2000; 300 with <see cref="Quick"/>);
    /// training stops earlier when the held-out loss stops improving (see <see cref="Budget"/>).</summary>
    public int? TrainingSteps { get; init; }

    /// <summary>Mini-batch size for that training.</summary>
    public int TrainingBatch { get; init; } = 64;

    /// <summary>At most this many auxiliary images are used for training (from the data or <see cref="AuxData"/>).</summary>
    public int MaxAuxImages { get; init; } = 5000;

    /// <summary>Short run: 500 white-box iterations, 300 training steps (explicit values still win).</summary>
    public bool Quick { get; init; }

    /// <summary>Without <see cref="At"/>: the most split points attacked, spread evenly over depth (first and last kept);
    /// null = every split point. <see cref="Quick"/> caps at <see cref="QuickMaxPoints"/> whatever this says.</summary>
    // why: issue 17 (report bounded in time and pages): a ResNet has 20+ split points; attacking every one took hours and
    // 86-page PDFs. The default samples 8 across depth; `--splits all` attacks every point.
    public int? MaxPoints { get; init; } = DefaultMaxPoints;

    /// <summary>The default of <see cref="MaxPoints"/>.</summary>
    public const int DefaultMaxPoints = 8;

    /// <summary>Seed for the image choice, initialisations and mini-batches.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>Verdict thresholds.</summary>
    public SplitThresholds Thresholds { get; init; } = SplitThresholds.Default;

    /// <summary>Device and threads.</summary>
    public RuntimeOptions Runtime { get; init; } = RuntimeOptions.Default;

    /// <summary>Auxiliary (attacker's) data; null = the data images not chosen as targets.</summary>
    public Dataset? AuxData { get; init; }

    /// <summary>Defaults: every split point, all attacks, 8 images.</summary>
    public static SplitAuditOptions Default { get; } = new();

    /// <summary><see cref="Default"/> with <see cref="Quick"/> set (at most <see cref="QuickMaxPoints"/> split points,
    /// <see cref="QuickIterations"/> white-box iterations, <see cref="QuickTrainingSteps"/> training steps).</summary>
    public static SplitAuditOptions QuickPreset { get; } = new() { Quick = true };

    /// <summary>With <see cref="Quick"/> and no <see cref="At"/>: the most split points attacked (spread evenly over depth).</summary>
    public const int QuickMaxPoints = 4;

    /// <summary>With <see cref="Quick"/>: white-box iterations per split point (unless <see cref="Iterations"/> is set).</summary>
    public const int QuickIterations = 300;

    /// <summary>With <see cref="Quick"/>: the most training steps of the inverse network and the shadow prefix (unless <see cref="TrainingSteps"/> is set).</summary>
    public const int QuickTrainingSteps = 300;

    /// <summary>Without <see cref="Quick"/>: the most training steps (unless <see cref="TrainingSteps"/> is set).</summary>
    public const int FullTrainingSteps = 2000;

    /// <summary>Seconds the split phase is planned into by <see cref="SplitBudgetPlanner"/> (null = the default:
    /// <see cref="SplitBudgetPlanner.QuickSeconds"/> with <see cref="Quick"/>, otherwise <see cref="SplitBudgetPlanner.FullToQuick"/>
    /// × the quick plan's seconds; <see cref="double.PositiveInfinity"/> = no cap). Explicit <see cref="Iterations"/> and
    /// <see cref="TrainingSteps"/> are never capped.</summary>
    public double? SecondsBudget { get; init; }

    internal int WhiteBoxIterations(int classDefault) => Iterations ?? (Quick ? QuickIterations : classDefault);

    internal int Steps => TrainingSteps ?? (Quick ? QuickTrainingSteps : FullTrainingSteps);

    /// <summary>The training budget of the black-box decoder and the shadow prefix: at most <see cref="Steps"/> steps;
    /// the held-out loss is checked every 25 steps (quick; 50 otherwise, never more often than 1/6 of the budget) and
    /// training stops after 3 (quick; 4 otherwise) checks without a 2 % (quick; 1 %) relative improvement.</summary>
    // why: issue 16 item 4: fixed step counts either stopped long before convergence or trained long after it (shadow
    // training was 100–116 s per split point at resnet18@64); a held-out plateau is where more steps stop paying.
    public TrainingBudget Budget => BudgetFor(Steps);

    /// <summary><see cref="Budget"/> with at most <paramref name="steps"/> steps (the time plan's cap).</summary>
    public TrainingBudget BudgetFor(int steps) => Quick
        ? new TrainingBudget(steps, Math.Clamp(steps / 6, 1, 25), 3, 0.02)
        : new TrainingBudget(steps, Math.Clamp(steps / 6, 1, 50), 4, 0.01);
}
