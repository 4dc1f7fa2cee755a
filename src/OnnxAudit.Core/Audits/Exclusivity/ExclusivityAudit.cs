using OnnxAudit.Audits.GradientAttack;
using OnnxAudit.Data;
using OnnxAudit.Errors;
using OnnxAudit.Graph;
using OnnxAudit.Onnx;
using OnnxAudit.Progress;
using OnnxAudit.Runtime;

namespace OnnxAudit.Audits.Exclusivity;

/// <summary>Options of <see cref="ExclusivityAudit"/>.RunAll.</summary>
/// <param name="BatchSize">The deployment batch size M.</param>
/// <param name="Batches">Sampled batches per statistic.</param>
/// <param name="AttackBatches">Insecure batches attacked (and as many random ones).</param>
/// <param name="Seed">Seed of every sampler.</param>
/// <param name="Quick">Fewer batches (200 statistics batches, 2 attack batches, 100 hardening batches) and, for CNNs, fewer stage-2
/// feature-matching steps (<see cref="FeatureMatchingOptions.Quick"/>).</param>
/// <param name="Runtime">ONNX Runtime options.</param>
/// <param name="Harden">Also verify the exclusivity reduction (hardened copy: secure proportion, attack, accuracy).</param>
public sealed record ExclusivityAuditOptions(int BatchSize = 8, int Batches = 1000, int AttackBatches = 4, int Seed = 0, bool Quick = false,
    RuntimeOptions? Runtime = null, bool Harden = true)
{
    /// <summary>M = 8, 1000 batches, 4 + 4 attack batches, seed 0, hardening verified.</summary>
    public static ExclusivityAuditOptions Default { get; } = new();

    /// <summary><see cref="Default"/> with the quick budgets (200 statistics batches, 2 + 2 attack batches, 100 hardening
    /// batches, quick stage-2 feature matching).</summary>
    public static ExclusivityAuditOptions QuickPreset { get; } = new(Quick: true);
}

/// <summary>Everything the "Federated gradient leakage" report section needs.</summary>
/// <param name="NotApplicableReason">Why the audit does not apply (then every other member is null).</param>
/// <param name="Statistics">Exclusivity statistics.</param>
/// <param name="Attack">Attack simulation at the deployment batch size (insecure + random batches); null without labels.</param>
/// <param name="SmallerBatchAttack">When no sampled batch of the deployment size is insecure: the attack on insecure batches of the
/// largest sweep size whose insecure proportion is ≥ 5%, to show what the boundary means; otherwise null.</param>
/// <param name="Hardening">Verification of the exclusivity reduction, or null.</param>
/// <param name="Notes">What was skipped and why.</param>
public sealed record ExclusivityAuditResult(string? NotApplicableReason, ExclusivityResult? Statistics, AttackSimulationResult? Attack,
    AttackSimulationResult? SmallerBatchAttack, HardeningResult? Hardening, IReadOnlyList<string> Notes)
{
    /// <summary>The verdict (<see cref="ExclusivityVerdict"/>), read by the summary, the finding, the JSON and the exit code.</summary>
    public Verdict Verdict => ExclusivityVerdict.Of(this);
}

/// <summary>The hardening check (Pan et al. §6, Corollary 1) on data.</summary>
/// <param name="FirstLayerWidth">d_1.</param>
/// <param name="Statistics">Exclusivity states of the hardened model's batches of size M = d_1 + 1 (all secure by Corollary 1).</param>
/// <param name="Attack">The attack on random batches of the deployment size against the hardened model, or null without labels.</param>
/// <param name="AccuracyBefore">Top-1 accuracy of the original model on the data (null without labels).</param>
/// <param name="AccuracyAfter">Top-1 accuracy of the hardened model without retraining (null without labels).</param>
public sealed record HardeningResult(int FirstLayerWidth, BatchStatistics Statistics, AttackSimulationResult? Attack, double? AccuracyBefore, double? AccuracyAfter);

/// <summary>Runs the statistics, the attack simulation and the hardening check in one call (for the report verb).</summary>
public static class ExclusivityAudit
{
    /// <summary>Why the exclusivity analysis does not apply to the model, or null when it does.</summary>
    public static string? NotApplicable(OnnxModel model, GraphAnalysis analysis)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(analysis);
        if (analysis.Head is null)
            return "the output is not produced by a fully-connected classifier head; the neuron-exclusivity analysis does not apply.";
        if (analysis.Head.Relus.Count == 0)
            return "no ReLU layer in the classifier head; the neuron-exclusivity analysis does not apply.";
        try { FcnHead.Extract(model); }
        catch (UnsupportedOperatorException e) { return e.Message; }
        return null;
    }

    /// <summary>Runs everything.</summary>
    /// <param name="model">The classifier.</param>
    /// <param name="analysis">Its graph analysis (classifier head).</param>
    /// <param name="data">Sample data (labels enable the attack, same-class batches and accuracy).</param>
    /// <param name="options">Batch size, batches, seed.</param>
    /// <param name="progress">Progress sink.</param>
    public static ExclusivityAuditResult RunAll(OnnxModel model, GraphAnalysis analysis, Dataset data, ExclusivityAuditOptions options, IAuditProgress progress)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(options);
        using var context = new AuditContext(model, analysis, data, options.Runtime);
        return RunAll(context, options, progress);
    }

    /// <summary>Runs everything on the context's model and data (sessions, masks and accuracy come from the context).</summary>
    public static ExclusivityAuditResult RunAll(AuditContext context, ExclusivityAuditOptions options, IAuditProgress progress)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(options);
        var model = context.Model;
        var analysis = context.Analysis;
        var reason = NotApplicable(model, analysis);
        if (reason is not null) return new ExclusivityAuditResult(reason, null, null, null, null, []);
        var notes = new List<string>();
        var layers = HeadReluLayers.From(analysis.Head!);
        var labels = context.Labels;
        var batches = options.Quick ? Math.Min(200, options.Batches) : options.Batches;
        var attackBatches = options.Quick ? Math.Min(2, options.AttackBatches) : options.AttackBatches;
        var stats = ExclusivityAuditor.Run(context, model, layers,
            ExclusivityOptions.Default with { BatchSize = options.BatchSize, Batches = batches, Seed = options.Seed, Runtime = options.Runtime }, progress);

        AttackSimulationResult? attack = null, smaller = null;
        HardeningResult? hardening = null;
        var insecure = stats.Main.Insecure.Count == 0 ? 0 : attackBatches;
        var smallerSize = insecure == 0 && stats.LargestInsecureBatchSize is { } s0 && s0 < options.BatchSize ? s0 : (int?)null;
        var fm = StageTwo(analysis, options, labels is null ? 0 : insecure + attackBatches + (smallerSize is null ? 0 : attackBatches) + (options.Harden ? attackBatches : 0));
        if (labels is null) notes.Add("The data has no labels: the attack simulation and the accuracy check were skipped (the victim's gradient needs labels).");
        else if (attackBatches > 0)
        {
            var ao = AttackSimulationOptions.Default with
            {
                BatchSize = options.BatchSize, InsecureBatches = insecure, RandomBatches = attackBatches, Seed = options.Seed, Runtime = options.Runtime,
                FeatureMatching = fm,
            };
            attack = GradientAttackSimulation.Run(context, model, layers, ao, progress);
            if (smallerSize is { } ms)
            {
                notes.Add($"No sampled batch of size {options.BatchSize} is insecure; the attack on insecure batches was run at M = {ms}, the largest sweep size with ≥ 5% insecure batches.");
                smaller = GradientAttackSimulation.Run(context, model, layers, ao with { BatchSize = ms, InsecureBatches = attackBatches, RandomBatches = 0 }, progress);
            }
        }
        // why: issue 17: the hardened copy gets its own sessions; the audited model's (masks, head input, feature matcher,
        // victim gradient: 1.5 GB on alexnet@64) are not used again in this phase.
        context.ReleaseSessions();
        if (options.Harden)
            hardening = ExclusivityHardening.Verify(context, layers, options.BatchSize, options.Quick ? 100 : 200, attackBatches, options.Seed,
                progress, fm);
        return new ExclusivityAuditResult(null, stats, attack, smaller, hardening, notes);
    }

    /// <summary>The maximum number of stage-2 runs of an audit with these options (every attacked batch: insecure and random at
    /// M, the smaller-M attack and the hardened copy's), before the statistics say which run.</summary>
    public static int MaxStageTwoRuns(ExclusivityAuditOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var attackBatches = options.Quick ? Math.Min(2, options.AttackBatches) : options.AttackBatches;
        // insecure + random batches at M (or, when none is insecure, random at M + insecure at the smaller M), then the hardened copy's
        return 2 * attackBatches + (options.Harden ? attackBatches : 0);
    }

    /// <summary>Stage 2 of the hybrid attack planned for <paramref name="runs"/> runs of M images: into
    /// <see cref="FeatureMatchingPlanner.QuickSeconds"/> in a quick run, into <see cref="FeatureMatchingPlanner.FullBudget"/> of the
    /// quick plan (at its <see cref="MaxStageTwoRuns"/>) in a full run; the preset's iterations when they fit.</summary>
    public static FeatureMatchingPlan StageTwoPlan(GraphAnalysis analysis, ExclusivityAuditOptions options, int runs)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Quick)
            return FeatureMatchingPlanner.Plan(analysis, FeatureMatchingOptions.Quick, runs, options.BatchSize, FeatureMatchingPlanner.QuickSeconds,
                string.Create(System.Globalization.CultureInfo.InvariantCulture, $"quick: {FeatureMatchingPlanner.QuickSeconds:F0} s"));
        var quick = options with { Quick = true };
        var (budget, rule) = FeatureMatchingPlanner.FullBudget(StageTwoPlan(analysis, quick, MaxStageTwoRuns(quick)).PlannedSeconds);
        return FeatureMatchingPlanner.Plan(analysis, FeatureMatchingOptions.Default, runs, options.BatchSize, budget, rule);
    }

    // why: issue 17: stage 2 on vgg11_bn@64 (25,088-wide head input, Φ ≈ 0.6 G multiply-adds per image) took 9 min 47 s of a
    // quick report outside every time plan; it is now planned like the split and federated loops.
    private static FeatureMatchingOptions StageTwo(GraphAnalysis analysis, ExclusivityAuditOptions options, int runs) =>
        FeatureMatchingPlanner.HasStage2(analysis) ? StageTwoPlan(analysis, options, runs).Options
            : options.Quick ? FeatureMatchingOptions.Quick : FeatureMatchingOptions.Default;
}
