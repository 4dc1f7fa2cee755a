using OnnxAudit.Audits.GradientAttack;
using OnnxAudit.Runtime;

namespace OnnxAudit.Audits.Federated;

/// <summary>Options of the federated-leakage audit (<see cref="FederatedLeakageAudit"/>).</summary>
/// <param name="BatchSize">M, the deployment batch size.</param>
/// <param name="Batches">Victim batches attacked (drawn at random, seeded).</param>
/// <param name="Inverting">Inverting Gradients budget (null = off).</param>
/// <param name="Dlg">DLG budget (null = off).</param>
/// <param name="Defences">Defences evaluated with the Inverting attack on the same batches, listed from weakest to
/// strongest (the recommendation is the first that makes the attack fail); null = <see cref="PaperDefences"/>.</param>
/// <param name="Seed">Seed of the batch choice, restarts and noise.</param>
/// <param name="LeakPsnr">An attack "succeeds" when its mean PSNR over the batches is ≥ this (dB).</param>
/// <param name="Runtime">ONNX Runtime options.</param>
public sealed record FederatedAuditOptions(int BatchSize = 1, int Batches = 2, InvertingOptions? Inverting = null, DlgOptions? Dlg = null,
    IReadOnlyList<GradientDefence>? Defences = null, int Seed = 0, double LeakPsnr = 20, RuntimeOptions? Runtime = null)
{
    /// <summary>Stage 2 (feature matching) of the analytic/hybrid attack; null = <see cref="FeatureMatchingOptions.Default"/>.</summary>
    public FeatureMatchingOptions? FeatureMatching { get; init; }

    /// <summary>Why the Inverting attack is not run (set by <see cref="GradientInversionAuditor"/> from <see cref="SecondOrderCost"/>;
    /// null = it runs when <see cref="Inverting"/> is set). The attack is listed with this note and its session is not built.</summary>
    public string? InvertingNotRun { get; init; }

    /// <summary>Why the DLG attack is not run (as <see cref="InvertingNotRun"/>).</summary>
    public string? DlgNotRun { get; init; }

    /// <summary>Whether the analytic attack (Pan et al. B.1–B.3, or the single-Linear head rule) is tried.</summary>
    public bool Analytic { get; init; } = true;

    /// <summary>Seconds for the optimisation loops (Inverting, DLG and the defence runs): from a deterministic per-evaluation cost
    /// estimate (trainable parameters × M) the iteration counts are planned to fit (¾ Inverting, ¼ DLG), never above the configured counts nor below
    /// <see cref="InvertingOptions.MinimumIterations"/> / <see cref="DlgOptions.MinimumEvaluations"/>; null = the configured counts.</summary>
    public double? SecondsBudget { get; init; }

    /// <summary>Whether the defences are attacked only when the undefended Inverting attack succeeds (a defence of an attack that
    /// already fails at this budget measures nothing); the time budget is then planned for the attack runs alone.</summary>
    public bool DefencesOnlyWhenLeaking { get; init; }

    /// <summary>Whether the DP-SGD rows are extended by <see cref="DpSgdSweep"/>: the σ of the 1–3 series whose noise-to-signal
    /// ratio on the audited batches lies in [0.3, 30) (where the attack's PSNR falls) and the noise floor (the attack on the noise
    /// alone). Needs a DP-SGD defence in the list; skipped when the planned Inverting run is a first look only.</summary>
    public bool SweepDpSgd { get; init; }

    /// <summary>The Inverting runs per batch the DP-SGD sweep may add (<see cref="DpSgdSweep.MaxRuns"/> when it is on and the list has a
    /// DP-SGD defence, else 0); the time planner and the ETA count them.</summary>
    public int SweepRuns => SweepDpSgd && (Defences ?? PaperDefences).Any(d => d is DpSgdDefence) ? DpSgdSweep.MaxRuns : 0;

    /// <summary>Default budgets (at most <see cref="InvertingOptions.Default"/>, <see cref="DlgOptions.Default"/>), 2 batches, the paper's
    /// defences with the DP-SGD sweep, loops planned into <see cref="FullToQuick"/> × the quick budget (180 s).</summary>
    // why: issue 17 item 6: every default report within 4× its quick time; 300 s was 6.7× the quick 45 s.
    public static FederatedAuditOptions Default { get; } = new(Inverting: InvertingOptions.Default, Dlg: DlgOptions.Default) { SecondsBudget = FullToQuick * QuickSeconds, SweepDpSgd = true };

    /// <summary>The quick run's planned seconds for the optimisation loops.</summary>
    public const double QuickSeconds = 45;

    /// <summary>The full run's budget is at most this many times the quick one.</summary>
    public const double FullToQuick = 4;

    /// <summary>report --quick: 1 batch, at most <see cref="InvertingOptions.Quick"/> and <see cref="DlgOptions.Quick"/> planned into 45 s,
    /// one defence (DP-SGD C = 1, σ = 0.1) attacked only when Inverting leaks (session builds and stage 2 come on top: resnet18@64 took 108–130 s at load ~50 with 60 s), stage 2 at <see cref="FeatureMatchingOptions.Quick"/> with 100 iterations.</summary>
    public static FederatedAuditOptions Quick { get; } = new(Batches: 1, Inverting: InvertingOptions.Quick, Dlg: DlgOptions.Quick,
        Defences: [new DpSgdDefence(1.0, 0.1)])
    { FeatureMatching = FeatureMatchingOptions.Quick with { Iterations = 100 }, SecondsBudget = QuickSeconds, DefencesOnlyWhenLeaking = true };

    /// <summary>The paper's §7.3 set (C = 1.0, σ = 0.1/0.5/1.0) plus pruning to 10 % and 1 %, weakest first by intent.</summary>
    public static IReadOnlyList<GradientDefence> PaperDefences { get; } =
        [new PruningDefence(10), new DpSgdDefence(1.0, 0.1), new DpSgdDefence(1.0, 0.5), new PruningDefence(1), new DpSgdDefence(1.0, 1.0)];
}
