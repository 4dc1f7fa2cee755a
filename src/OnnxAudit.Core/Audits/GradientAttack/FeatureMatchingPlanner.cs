using OnnxAudit.Common;
using System.Globalization;
using OnnxAudit.Audits.SplitInversion;
using OnnxAudit.Graph;

namespace OnnxAudit.Audits.GradientAttack;

/// <summary>The time plan of stage 2 (feature matching) of the hybrid attack over the runs of one audit.</summary>
/// <param name="Options">The options to run with (the planned iteration count and <see cref="FeatureMatchingOptions.Planned"/>).</param>
/// <param name="ConfiguredIterations">The iterations the preset asks for.</param>
/// <param name="Runs">Stage-2 runs planned (one per attacked batch).</param>
/// <param name="ImagesPerRun">Images per run planned (the batch size: stage 1 recovers at most one head input per sample).</param>
/// <param name="SecondsPerIteration">Planned seconds of one iteration of one run (<see cref="FeatureMatchingPlanner.IterationSeconds"/>).</param>
/// <param name="BudgetSeconds">The budget the runs were planned into.</param>
/// <param name="PlannedSeconds">Runs × iterations × seconds per iteration at the planned count (an upper bound: a run with fewer
/// recovered head inputs costs less).</param>
/// <param name="UncappedSeconds">The same at the configured count.</param>
public sealed record FeatureMatchingPlan(FeatureMatchingOptions Options, int ConfiguredIterations, int Runs, int ImagesPerRun,
    double SecondsPerIteration, double BudgetSeconds, double PlannedSeconds, double UncappedSeconds)
{
    /// <summary>True when the plan cut the iteration count.</summary>
    public bool Capped => Options.Iterations < ConfiguredIterations;
}

/// <summary>
/// Deterministic time plan of stage 2 of the hybrid attack (Pan et al. §5 feature matching through Φ) in the exclusivity audit
/// (issue 17: on vgg11_bn@64 it took 9 min 47 s of a quick report outside every time plan). One iteration on B images is a
/// forward pass of Φ and its input gradient (2 passes) plus one Adam step per pixel, costed by the split planner's graph rule
/// (<see cref="SplitBudgetPlanner.CostRule"/>, fixed seconds per unit, nothing timed); the iteration count of every run is
/// scaled by one factor so that all runs fit <see cref="QuickSeconds"/> (quick) or <see cref="FullBudget"/> (full: 4× the quick
/// plan, at least <see cref="FullMinimumSeconds"/>), never below <see cref="MinimumIterations"/>.
/// </summary>
public static class FeatureMatchingPlanner
{
    /// <summary>Planned seconds of all stage-2 runs of a quick exclusivity audit (the attack on insecure and random batches and on the
    /// hardened copy).</summary>
    // why: lenet5 plans 2 s and alexnet@64 well under this, so neither is capped; vgg11_bn@64 (Φ ≈ 0.6 G multiply-adds per
    // image) would plan 30 min uncapped in a full run.
    public const double QuickSeconds = 60;

    /// <summary>A full run's stage-2 budget is at most this many times the quick plan's seconds (issue 17 item 6: full within 4× quick)…</summary>
    public const double FullToQuick = 4;

    /// <summary>… but at least this many seconds, so a small model whose quick stage 2 takes seconds keeps its full 1000 iterations
    /// (as the split planner's <see cref="SplitBudgetPlanner.FullMinimumSeconds"/>).</summary>
    // why: lenet5's full stage 2 plans 11 s uncapped, 6.7× its quick 1.7 s (12 runs of 1000 iterations against 6 of 300).
    public const double FullMinimumSeconds = QuickSeconds;

    /// <summary>No planned count goes below this.</summary>
    public const int MinimumIterations = SplitBudgetPlanner.MinimumCount;

    /// <summary>A planned count below this makes stage 2 a first look only.</summary>
    public const int FirstLookIterations = SplitBudgetPlanner.FirstLookCount;

    /// <summary>Planned seconds of stage 2 of the federated audit's analytic attack in a quick run (one batch of M images; its
    /// full run gets <see cref="FullBudget"/> of its quick plan with this as the floor).</summary>
    public const double AnalyticQuickSeconds = 15;

    /// <summary>The budget of a full run whose quick run plans <paramref name="quickPlannedSeconds"/> (at least
    /// <paramref name="floor"/>), and its rule in words.</summary>
    public static (double Seconds, string Rule) FullBudget(double quickPlannedSeconds, double floor = FullMinimumSeconds) => FullToQuick * quickPlannedSeconds >= floor
        ? (FullToQuick * quickPlannedSeconds, string.Create(CultureInfo.InvariantCulture, $"full: {NumberText.G(FullToQuick, 2)}× the quick plan's {quickPlannedSeconds:F0} s"))
        : (floor, string.Create(CultureInfo.InvariantCulture, $"full: at least {floor:F0} s, more than {NumberText.G(FullToQuick, 2)}× the quick plan's {quickPlannedSeconds:F1} s"));

    /// <summary>Φ's layers: every layer outside the classifier head (all layers when there is no head).</summary>
    internal static IReadOnlyList<int> PhiLayers(GraphAnalysis analysis)
    {
        ArgumentNullException.ThrowIfNull(analysis);
        var head = analysis.Head is null ? new HashSet<int>() : [.. analysis.Head.LayerIndices];
        return [.. Enumerable.Range(0, analysis.Layers.Count).Where(i => !head.Contains(i))];
    }

    private static readonly HashSet<string> ReshapeOps = new(StringComparer.Ordinal) { "Flatten", "Reshape", "Squeeze", "Unsqueeze", "Identity" };

    /// <summary>Whether the hybrid attack has a stage 2 on this model: Φ does more than reshape the image (for a plain
    /// fully-connected net the head input is the image and stage 1 recovers it directly).</summary>
    public static bool HasStage2(GraphAnalysis analysis) => PhiLayers(analysis).Any(i => !ReshapeOps.Contains(analysis.Layers[i].OpType));

    /// <summary>Planned seconds of one stage-2 iteration on <paramref name="images"/> images: forward and input gradient of Φ
    /// (2 passes) plus one Adam step per pixel, at <see cref="SplitBudgetPlanner.SecondsPerUnit"/>.</summary>
    public static double IterationSeconds(GraphAnalysis analysis, int images)
    {
        ArgumentNullException.ThrowIfNull(analysis);
        var phi = PhiLayers(analysis);
        var pixels = (double)analysis.InputElementsPerSample * images;
        return SplitBudgetPlanner.SecondsPerUnit * (SplitBudgetPlanner.Run(images, SplitBudgetPlanner.Forward(analysis, phi), phi.Count, 2)
            + pixels * SplitBudgetPlanner.UnitsPerParameterStep);
    }

    /// <summary>Plans <paramref name="runs"/> runs of <paramref name="imagesPerRun"/> images each into <paramref name="budget"/> seconds:
    /// the configured count when it fits, else the largest count that fits, at least <see cref="MinimumIterations"/> (or the configured
    /// count when smaller). The options carry the plan in words (<see cref="FeatureMatchingOptions.Planned"/>).</summary>
    public static FeatureMatchingPlan Plan(GraphAnalysis analysis, FeatureMatchingOptions configured, int runs, int imagesPerRun, double budget, string rule)
    {
        ArgumentNullException.ThrowIfNull(analysis);
        ArgumentNullException.ThrowIfNull(configured);
        var perIteration = IterationSeconds(analysis, Math.Max(1, imagesPerRun));
        var uncapped = runs * configured.Iterations * perIteration;
        var it = configured.Iterations;
        if (runs > 0 && uncapped > budget)
            it = Math.Min(configured.Iterations, Math.Max(Math.Min(MinimumIterations, configured.Iterations), (int)Math.Floor(budget / (runs * perIteration))));
        var planned = runs * it * perIteration;
        var ic = CultureInfo.InvariantCulture;
        static string Sec(double v) => v.ToString(v < 10 ? "0.0" : "0", CultureInfo.InvariantCulture);
        var runsText = string.Create(ic, $"{runs} run{(runs == 1 ? "" : "s")} of up to {imagesPerRun} image{(imagesPerRun == 1 ? "" : "s")} at an estimated {NumberText.G(perIteration, 2)} s per iteration");
        var within = planned <= budget * (1 + 1e-9) ? $"within a {Sec(budget)} s budget" : $"over the {Sec(budget)} s budget even at the minimum count";
        var text = it < configured.Iterations
            ? $"capped at {it} of {configured.Iterations} iterations by the time plan: {runsText}, planned {Sec(planned)} s {within} ({rule}), {Sec(uncapped)} s uncapped"
                + (it < FirstLookIterations ? string.Create(ic, $"; fewer than {FirstLookIterations} iterations: a first look only") : "")
            : $"time plan: {runsText}, planned {Sec(planned)} s {within} ({rule}); nothing capped";
        return new FeatureMatchingPlan(configured with { Iterations = it, Planned = text + "; " + SplitBudgetPlanner.CostRule }, configured.Iterations,
            runs, imagesPerRun, perIteration, budget, planned, uncapped);
    }
}
