using System.Diagnostics;
using System.Globalization;
using OnnxAudit.Audits;
using OnnxAudit.Audits.Exclusivity;
using OnnxAudit.Audits.Federated;
using OnnxAudit.Audits.GradientAttack;
using OnnxAudit.Audits.RConv;
using OnnxAudit.Audits.SplitInversion;
using OnnxAudit.Data;
using OnnxAudit.Errors;
using OnnxAudit.Graph;
using OnnxAudit.Onnx;
using OnnxAudit.Progress;
using OnnxAudit.Reporting;
using OnnxAudit.Reporting.Model;
using OnnxAudit.Reporting.Sections;
using OnnxAudit.Runtime;

namespace OnnxAudit.Pipeline;

/// <summary>
/// The audit pipeline shared by the <c>report</c> verb and each single-audit verb: load and analyse the model, load and
/// check the data, build one <see cref="AuditContext"/>, run the auditors on it and assemble the report model.
/// Stateless; each call owns its context.
/// </summary>
public static class AuditPipeline
{
    /// <summary>The auditors in executive-summary order.</summary>
    public static IReadOnlyList<IAuditor> Auditors { get; } =
        [FederatedLeakageAuditor.Instance, ConvolutionalLeakageAuditor.Instance, SplitPointAuditor.Instance];

    /// <summary>Loads the model and analyses it (shapes measured at batch 1). Fails before any work when the execution
    /// provider of <paramref name="runtime"/> cannot be created.</summary>
    /// <exception cref="OnnxAuditException">The model cannot be loaded or run, or the provider is unavailable.</exception>
    public static (OnnxModel Model, GraphAnalysis Analysis) LoadModel(string modelPath, RuntimeOptions runtime) =>
        LoadModel(modelPath, runtime, null);

    /// <summary>
    /// Loads the model, folds the normalisation of <paramref name="preprocessing"/> into it as a Sub/Div prefix (so the
    /// audited graph takes [0,1] pixels) and analyses the audited graph.
    /// </summary>
    /// <exception cref="OnnxAuditException">The model cannot be loaded or run, or the provider is unavailable.</exception>
    public static (OnnxModel Model, GraphAnalysis Analysis) LoadModel(string modelPath, RuntimeOptions runtime, Preprocessing? preprocessing)
    {
        var model = Autodiff.StaticShapeSource.RelaxFixedBatch(ModelEditor.FloatPixelsForByteInput(OnnxModel.Load(modelPath)));
        // why: --device cuda must fail before any work when the provider is unavailable.
        ModelSession.CheckDevice(runtime);
        // why: DESIGN "normalisation is folded into the audited graph as a prefix": attacks optimise and metrics measure
        // in [0,1] pixel space, and split prefixes (trusted side) include the normalisation.
        if (preprocessing is { Normalizes: true } pre) model = ModelEditor.PrependNormalization(model, pre.Mean!, pre.Std!);
        return (model, Autodiff.StaticShapeSource.Analyze(model, new GraphAnalysisOptions { BatchSize = 1 }, runtime));
    }

    /// <summary>Loads <paramref name="dataPath"/> and checks its images against the model input shape measured by the analyzer.</summary>
    /// <exception cref="DataFormatException">The data cannot be read or does not fit the model input.</exception>
    public static Dataset LoadData(string dataPath, GraphAnalysis analysis, string modelPath) =>
        LoadData(dataPath, analysis, modelPath, null, null);

    /// <summary>Loads <paramref name="dataPath"/> with the resize/crop/channels/class map of <paramref name="preprocessing"/>
    /// (its mean/std is in the graph, see <see cref="LoadModel(string, RuntimeOptions, Preprocessing?)"/>) and checks the
    /// images against the model input shape.</summary>
    /// <exception cref="DataFormatException">The data cannot be read or does not fit the model input.</exception>
    public static Dataset LoadData(string dataPath, GraphAnalysis analysis, string modelPath, Preprocessing? preprocessing, OnnxModel? model)
    {
        ArgumentNullException.ThrowIfNull(analysis);
        var dataset = DatasetLoader.Load(dataPath, DataOptions.Default with
        {
            Preprocess = preprocessing,
            ModelClassNames = model is null ? null : ModelEditor.ClassNames(model),
        });
        dataset.CheckFits(analysis.Tensors[analysis.InputTensor].Shape.Select(d => (long?)d).ToArray(), modelPath);
        CheckLabels(dataset, analysis, modelPath);
        return dataset;
    }

    /// <summary>Refuses labels and class folders the model's output cannot represent (a label ≥ the number of outputs,
    /// more class folders than outputs).</summary>
    /// <exception cref="DataFormatException">A label or the class count is out of range.</exception>
    internal static void CheckLabels(Dataset dataset, GraphAnalysis analysis, string modelPath)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(analysis);
        if (dataset.N == 0)
            throw new DataFormatException($"{dataset.Source}: holds 0 images, so there is nothing to audit; pass a data file with images.");
        if (!analysis.Tensors.TryGetValue(analysis.OutputTensor, out var output)) return;
        var classes = output.ElementsPerSample;
        if (classes <= 0) return;
        if (dataset.ClassNames is { } names && names.Count > classes)
            throw new DataFormatException($"{dataset.Source}: has {names.Count} class folders but {modelPath} has {classes} outputs (classes); pass a folder with at most {classes} class sub-folders, one per model output.");
        if (dataset.Labels is not { } labels) return;
        for (var i = 0; i < labels.Count; i++)
        {
            if (labels[i] >= classes)
                throw new DataFormatException($"{dataset.LabelsSource ?? dataset.Source}: label {i} is {labels[i]}, out of range for {modelPath}, which has {classes} outputs (classes 0–{classes - 1}); pass the labels that belong to this model.");
        }
    }

    /// <summary>Runs every applicable auditor and assembles the report (nothing is written).</summary>
    /// <exception cref="OnnxAuditException">Bad input: model, data, batch size. An auditor that cannot handle the model is
    /// reported as not assessed instead.</exception>
    public static AuditReport Report(ReportRequest request, IAuditProgress progress)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(progress);
        var started = DateTimeOffset.UtcNow;
        var clock = Stopwatch.StartNew();
        var timings = new List<TimingEntry>();
        var originalSha = OnnxModel.Load(request.ModelPath).Sha256;
        var (model, analysis) = LoadModel(request.ModelPath, request.Runtime, request.Preprocessing);
        timings.Add(new TimingEntry("load and analyse model", clock.Elapsed));
        progress.Message($"model: {Path.GetFileName(request.ModelPath)} — {analysis.Layers.Count} layers, {analysis.ParameterCount:N0} parameters, {analysis.SplitPoints.Count} split points");

        // why: an option that names nothing is bad input (exit 2, nothing written), checked before any slow work (issue 13).
        if (request.BatchSize < 1) throw new OnnxAuditException($"--batch-size {request.BatchSize}: must be at least 1; pass a positive batch size.");
        if (SplitOptions(request).At is { } at) SplitInversionAuditor.SelectPoints(model, analysis, at, "--splits");

        Dataset? dataset = null;
        string? mismatch = null;
        ReportSection? dataSection = null;
        AuditContext? context = null;
        try
        {
            if (request.DataPath is { } dataPath)
            {
                var t0 = clock.Elapsed;
                dataset = LoadData(dataPath, analysis, request.ModelPath, request.Preprocessing, model);
                if (request.BatchSize > dataset.N)
                    throw new OnnxAuditException($"--batch-size {request.BatchSize}: larger than the data ({dataset.N} images in {dataPath}); pass a batch size of at most {dataset.N} or more data.");
                context = new AuditContext(model, analysis, dataset, request.Runtime);
                var accuracy = dataset.HasLabels ? context.Accuracy(progress: progress) : null;
                mismatch = LabelMismatch(dataset, analysis, accuracy);
                if (mismatch is not null) progress.Message("warning: " + mismatch);
                dataSection = DataSectionBuilder.Build(dataset, dataPath, accuracy, request.Preprocessing.Describe(), mismatch);
                timings.Add(new TimingEntry("load data and evaluate accuracy", clock.Elapsed - t0));
            }

            var notAssessed = new Dictionary<string, string>();
            var contributions = new List<AuditContribution>();
            // why: issue 16/17: the overall ETA weights the phases by their planned seconds (the split phase's time plan).
            progress.PhaseWeights(Auditors.Select(a => ExpectedCost(a, model, analysis, request, dataset)).ToList());
            for (var phase = 0; phase < Auditors.Count; phase++)
            {
                var auditor = Auditors[phase];
                progress.Phase(phase, Auditors.Count, auditor.Threat);
                if (request.Threats is { } wanted && !wanted.Contains(auditor.Id, StringComparer.OrdinalIgnoreCase))
                {
                    notAssessed[auditor.Threat] = $"Not assessed: not requested (threats: {string.Join(", ", wanted)}).";
                    continue;
                }
                if (context is null)
                {
                    notAssessed[auditor.Threat] = "Not assessed: no data was given (--data); every auditor measures leakage on sample data.";
                    continue;
                }
                var t0 = clock.Elapsed;
                try
                {
                    contributions.Add(Contribute(auditor, context, request, progress));
                }
                catch (OnnxAuditException ex) when (ex is not DataFormatException)
                {
                    // why: one auditor that cannot handle this model (e.g. an operator without a gradient rule) must not
                    // stop the others; the report says why that threat was not assessed.
                    notAssessed[auditor.Threat] = "Not assessed: " + ex.Message;
                    progress.Message($"{auditor.Threat}: not assessed — {ex.Message}");
                }
                // why: issue 17: each phase builds the sessions it needs; none is shared with the next phase (see ReleaseSessions).
                context.ReleaseSessions();
                timings.Add(new TimingEntry(auditor.Threat, clock.Elapsed - t0));
            }
            progress.Phase(Auditors.Count, Auditors.Count, "writing the report");

            var repro = new Reproducibility(
            [
                new("Tool", ReportInfo.Creator),
                new("ONNX Runtime", ModelSession.OrtVersion),
                new("Execution provider", request.Runtime.Device.ToString().ToLowerInvariant()),
                new("Seed", request.Seed.ToString(CultureInfo.InvariantCulture)),
                new("Mode", request.Quick ? "quick (--quick: fewer batches, images and iterations; see each section)" : "full"),
                new("Federated batch size M", request.BatchSize.ToString(CultureInfo.InvariantCulture)),
                new("Model SHA-256", originalSha),
                new("Data SHA-256", dataset?.Sha256 ?? "(no data)"),
                new("Preprocessing", request.Preprocessing.Describe()),
                new("Command line", request.CommandLine),
                .. request.EffectiveConfig is { } config ? [new KeyValue("Effective config (onnx-audit.yaml)", config)] : Array.Empty<KeyValue>(),
            ]);
            var report = ReportAssembler.Assemble(ModelCardBuilder.Build(analysis, request.ModelPath), analysis, dataSection, contributions, notAssessed, repro,
                new ReportTiming(started, DateTimeOffset.UtcNow, [.. timings, new TimingEntry("total", clock.Elapsed)]),
                HyperParameterTable.Build(request, contributions, context is null ? null : SplitPlan(context, request)));
            // why: issue 11 — verdicts measured on labels that do not match the model are not silent: each one says so.
            return mismatch is null ? report : report with
            {
                ExecutiveSummary = report.ExecutiveSummary
                    .Select(v => v with { Evidence = $"{MismatchMark} ({mismatch}) {v.Evidence}" }).ToArray(),
            };
        }
        finally
        {
            context?.Dispose();
        }
    }

    /// <summary>The expected seconds of <paramref name="auditor"/> in this report, for the overall ETA: the federated attacks'
    /// planned seconds (<see cref="FederatedAuditOptions.SecondsBudget"/>, or less when the configured counts need less at
    /// the federated planner's 1.5e-7 s per parameter per sample per evaluation) plus the stage-2 plans of the exclusivity attack
    /// (<see cref="StageTwoSeconds"/>) and of the analytic attack (<see cref="AnalyticStageTwoPlan"/>), R-CONV a nominal 200 forward and backward passes of the model, the
    /// split audit its time plan (<see cref="SplitInversionAuditor.ExpectedCost"/>); without data only the split plan's
    /// shape is unknown and it counts 0.</summary>
    // why: issue 16: the ETA weighted the three phases equally while split inversion is 93–99.7 % of a report's time.
    public static double ExpectedCost(IAuditor auditor, OnnxModel model, GraphAnalysis analysis, ReportRequest request, Dataset? data)
    {
        ArgumentNullException.ThrowIfNull(auditor);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(analysis);
        ArgumentNullException.ThrowIfNull(request);
        if (request.Threats is { } wanted && !wanted.Contains(auditor.Id, StringComparer.OrdinalIgnoreCase)) return 0;
        switch (auditor)
        {
            case FederatedLeakageAuditor:
                return FederatedSeconds(analysis, FederatedOptions(request, analysis)) + StageTwoSeconds(analysis, request, data)
                    + (AnalyticStageTwoPlan(analysis, request)?.PlannedSeconds ?? 0);
            case ConvolutionalLeakageAuditor:
                return 200 * 3 * SplitBudgetPlanner.Forward(analysis, Enumerable.Range(0, analysis.Layers.Count)) * SplitBudgetPlanner.SecondsPerUnit;
            default:
                return data is null ? 0 : SplitInversionAuditor.ExpectedCost(model, analysis, SplitOptions(request), data.N, (data.C, data.H, data.W));
        }
    }

    /// <summary>The planned seconds of stage 2 of the exclusivity audit's hybrid attack (<see cref="ExclusivityAudit.StageTwoPlan"/> at its
    /// most runs), 0 when the audit does not apply, the model has no stage 2 or the data has no labels (no attack).</summary>
    // why: issue 17: on vgg11_bn@64 this stage took 9 min 47 s of a quick report, and the ETA did not know it.
    public static double StageTwoSeconds(GraphAnalysis analysis, ReportRequest request, Dataset? data)
    {
        ArgumentNullException.ThrowIfNull(analysis);
        ArgumentNullException.ThrowIfNull(request);
        if (data is not { HasLabels: true } || analysis.Head is not { Relus.Count: > 0 } || !FeatureMatchingPlanner.HasStage2(analysis)) return 0;
        var options = ExclusivityOptions(request);
        return ExclusivityAudit.StageTwoPlan(analysis, options, ExclusivityAudit.MaxStageTwoRuns(options)).PlannedSeconds;
    }

    /// <summary>The federated phase's planned seconds: its loops' evaluations (batches × (Inverting iterations × restarts ×
    /// (1 + defences and DP-SGD sweep runs unless they run only on a leak) + DLG evaluations × restarts)) at the federated planner's 1.5e-7 s per
    /// parameter per sample, at most its <see cref="FederatedAuditOptions.SecondsBudget"/> unless the minimum counts alone are over it.</summary>
    public static double FederatedSeconds(GraphAnalysis analysis, FederatedAuditOptions f)
    {
        ArgumentNullException.ThrowIfNull(analysis);
        ArgumentNullException.ThrowIfNull(f);
        var defences = f.DefencesOnlyWhenLeaking ? 0 : (f.Defences ?? FederatedAuditOptions.PaperDefences).Count + f.SweepRuns;
        var evaluations = f.Batches * ((f.Inverting is { } inv ? inv.Iterations * (double)inv.Restarts * (1 + defences) : 0) + (f.Dlg is { } dlg ? dlg.Evaluations * (double)dlg.Restarts : 0));
        var perEvaluation = FederatedLeakageAudit.EvaluationSeconds(analysis.ParameterCount, f.BatchSize);
        var seconds = evaluations * perEvaluation;
        if (f.SecondsBudget is not { } b) return seconds;
        // why: the planner never goes below the minimum counts (one Inverting restart of MinimumIterations per run, the
        // DP-SGD sweep dropped, MinimumEvaluations per DLG restart), so over the budget those floors are what runs: on
        // vgg11_bn@64 quick they took 91-255 s while the ETA said 45 s.
        var listed = f.DefencesOnlyWhenLeaking ? 0 : (f.Defences ?? FederatedAuditOptions.PaperDefences).Count;
        var floor = f.Batches * perEvaluation * ((f.Inverting is { } i ? Math.Min(i.Iterations, InvertingOptions.MinimumIterations) * (1.0 + listed) : 0)
            + (f.Dlg is { } d ? Math.Min(d.Evaluations, DlgOptions.MinimumEvaluations) * (double)d.Restarts : 0));
        return Math.Min(seconds, Math.Max(b, floor));
    }

    /// <summary>The split audit's time plan in this report (the same plan the audit runs under).</summary>
    public static SplitPlan? SplitPlan(AuditContext context, ReportRequest request)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(request);
        if (context.Analysis.SplitPoints.Count == 0) return null;
        return SplitBudgetPlanner.Plan(context.Model, context.Analysis, SplitOptions(request), context.Data.N, (context.Data.C, context.Data.H, context.Data.W));
    }

    /// <summary>The mark put before every verdict when <see cref="LabelMismatch"/> finds a problem.</summary>
    public const string MismatchMark = "Labels or preprocessing may not match the model";

    /// <summary>
    /// Why the labels or preprocessing look wrong for this model, or null: the label count differs from the model's
    /// output classes, or the accuracy is below twice chance (2/K).
    /// </summary>
    public static string? LabelMismatch(Dataset dataset, GraphAnalysis analysis, AccuracyResult? accuracy)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(analysis);
        if (!dataset.HasLabels) return null;
        var classes = analysis.Tensors.TryGetValue(analysis.OutputTensor, out var o) && o.Shape.Count >= 2 ? o.Shape[^1] : 0;
        var maxLabel = dataset.Labels!.Max();
        var distinct = dataset.ClassNames?.Count ?? (int)(maxLabel + 1);
        if (classes > 0 && (maxLabel >= classes || (dataset.ClassNames is not null && dataset.ClassNames.Count != classes)))
        {
            return string.Create(CultureInfo.InvariantCulture,
                $"the data has {distinct} classes but the model outputs {classes}; pass --classes FILE with the model's class order, or data made for this model");
        }
        // why: class-named folders indexed by sorted name are a guess of the model's class order; a permuted order
        // still matches some classes by chance (issue 11: 34 % on Fashion-MNIST), above twice chance, so such folders
        // also warn below 50 % accuracy.
        var guessedOrder = dataset.ClassMapSource == ClassMap.SortedFolders && dataset.ClassNames is { } folders
            && folders.Where((f, i) => f != i.ToString(CultureInfo.InvariantCulture)).Any();
        if (accuracy is not null && classes > 1 && (accuracy.Accuracy < 2.0 / classes || (guessedOrder && accuracy.Accuracy < 0.5)))
        {
            var fix = dataset.ClassMapSource == ClassMap.SortedFolders
                ? "class indices come from sorted folder names; pass --classes FILE (one class name per line in the model's order)"
                : "check --classes, --resize/--center-crop/--channels and --normalize/--mean/--std";
            return string.Create(CultureInfo.InvariantCulture,
                $"model accuracy on this data is {accuracy.Accuracy * 100:F2} %{(accuracy.Accuracy < 2.0 / classes ? string.Create(CultureInfo.InvariantCulture, $", below twice chance ({200.0 / classes:F1} %)") : " with class indices guessed from sorted folder names")}; {fix}");
        }
        return null;
    }

    /// <summary>The options each auditor runs with in a report (its quick preset with <c>--quick</c>).</summary>
    public static ExclusivityAuditOptions ExclusivityOptions(ReportRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return (request.Quick ? ExclusivityAuditOptions.QuickPreset : ExclusivityAuditOptions.Default) with { BatchSize = request.BatchSize, Seed = request.Seed, Runtime = request.Runtime };
    }

    /// <inheritdoc cref="ExclusivityOptions"/>
    public static RConvOptions RConvOptions(ReportRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return (request.Quick ? Audits.RConv.RConvOptions.Quick : Audits.RConv.RConvOptions.Default) with { Seed = request.Seed, Runtime = request.Runtime };
    }

    /// <inheritdoc cref="ExclusivityOptions"/>
    public static SplitAuditOptions SplitOptions(ReportRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var single = request.Splits.Count == 1 ? request.Splits[0] : null;
        var at = single is "all" or "auto" ? null : string.Join(',', request.Splits);
        var preset = request.SplitOptionsOverride ?? (request.Quick ? SplitAuditOptions.QuickPreset : SplitAuditOptions.Default);
        // "auto" (the default) samples at most SplitAuditOptions.DefaultMaxPoints across depth; "all" attacks every point
        return preset with { At = at, Seed = request.Seed, Runtime = request.Runtime, MaxPoints = single == "all" ? null : preset.MaxPoints };
    }

    /// <inheritdoc cref="ExclusivityOptions"/>
    public static FederatedAuditOptions FederatedOptions(ReportRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return (request.Quick ? FederatedAuditOptions.Quick : FederatedAuditOptions.Default) with { BatchSize = request.BatchSize, Seed = request.Seed, Runtime = request.Runtime };
    }

    /// <summary><see cref="FederatedOptions(ReportRequest)"/> with a full run's time budget at most
    /// <see cref="FederatedAuditOptions.FullToQuick"/> × the quick run's planned seconds on this model
    /// (<see cref="FederatedSeconds"/>), so a small model whose quick loops need less than the quick budget does not get the
    /// whole full budget.</summary>
    // why: issue 17 item 6: lenet5's quick loops plan 41 s; 180 s full would be 4.4×.
    public static FederatedAuditOptions FederatedOptions(ReportRequest request, GraphAnalysis analysis)
    {
        ArgumentNullException.ThrowIfNull(analysis);
        var f = FederatedOptions(request);
        if (AnalyticStageTwoPlan(analysis, request) is { } plan) f = f with { FeatureMatching = plan.Options };
        if (request.Quick || f.SecondsBudget is not { } budget) return f;
        var quick = FederatedSeconds(analysis, FederatedOptions(request with { Quick = true }));
        return f with { SecondsBudget = Math.Min(budget, FederatedAuditOptions.FullToQuick * quick) };
    }

    /// <summary>The time plan of stage 2 of the federated audit's analytic attack (one run of M images per victim batch, into
    /// <see cref="FeatureMatchingPlanner.AnalyticQuickSeconds"/> quick, 4× its quick plan or at least that in a full run), or null
    /// when that attack forms no image through Φ (no head, a plain fully-connected net, a single-Linear head with M &gt; 1).</summary>
    // why: issue 17: on vgg11_bn@64 its 100 quick iterations on 8 images were outside every plan (~1 s per iteration planned).
    public static FeatureMatchingPlan? AnalyticStageTwoPlan(GraphAnalysis analysis, ReportRequest request)
    {
        ArgumentNullException.ThrowIfNull(analysis);
        ArgumentNullException.ThrowIfNull(request);
        if (analysis.Head is not { } head || !FeatureMatchingPlanner.HasStage2(analysis) || (head.Linears.Count == 1 && request.BatchSize > 1)) return null;
        var f = FederatedOptions(request);
        var configured = f.FeatureMatching ?? FeatureMatchingOptions.Default;
        if (request.Quick)
            return FeatureMatchingPlanner.Plan(analysis, configured, f.Batches, f.BatchSize, FeatureMatchingPlanner.AnalyticQuickSeconds,
                string.Create(CultureInfo.InvariantCulture, $"quick: {FeatureMatchingPlanner.AnalyticQuickSeconds:F0} s"));
        var quick = AnalyticStageTwoPlan(analysis, request with { Quick = true })!;
        var (budget, rule) = FeatureMatchingPlanner.FullBudget(quick.PlannedSeconds, FeatureMatchingPlanner.AnalyticQuickSeconds);
        return FeatureMatchingPlanner.Plan(analysis, configured, f.Batches, f.BatchSize, budget, rule);
    }

    // why: issue 12 — the federated threat is never "not applicable" for a model the gradient builder supports: the
    // exclusivity analysis runs where it applies, gradient inversion (analytic / Inverting / DLG + defences) always.
    private static AuditContribution FederatedContribution(FederatedLeakageAuditor exclusivity, AuditContext context, ReportRequest request, IAuditProgress progress)
    {
        var excl = exclusivity.NotApplicable(context) is null ? ExclusivityReport.Build(exclusivity.Run(context, ExclusivityOptions(request), progress)) : null;
        context.ReleaseSessions();
        var inversion = GradientInversionAuditor.Instance;
        if (inversion.NotApplicable(context) is { } why)
            return excl ?? ExclusivityReport.NotApplicable(why);
        try
        {
            return FederatedAttackReport.Combine(excl, FederatedAttackReport.Build(inversion.Run(context, FederatedOptions(request, context.Analysis), progress)));
        }
        catch (OnnxAuditException ex) when (excl is not null && ex is not DataFormatException)
        {
            progress.Message($"gradient inversion: not assessed — {ex.Message}");
            return excl;
        }
    }

    private static AuditContribution Contribute(IAuditor auditor, AuditContext context, ReportRequest request, IAuditProgress progress)
    {
        var c = ContributeOnce(auditor, context, request, progress);
        var v = c.Verdict;
        // why: R-CONV decides itself (no convolution = not applicable; a chain blocked by an unsupported operator = a gap).
        if (v.Severity == Severity.NotAssessed) return auditor is ConvolutionalLeakageAuditor ? c : c with { Verdict = v with { NotApplicable = true } };
        if (!request.Quick) return c;
        var (budget, adds) = auditor switch
        {
            FederatedLeakageAuditor => (ExclusivityVerdict.QuickBudget, ExclusivityVerdict.FullRunAdds),
            ConvolutionalLeakageAuditor => (ConvolutionalVerdict.QuickBudget, ConvolutionalVerdict.FullRunAdds),
            _ => (SplitVerdict.QuickBudget(SplitOptions(request), SplitPlan(context, request)), SplitVerdict.FullRunAdds),
        };
        return c with { Verdict = v with { QuickBudget = budget, FullRunAdds = adds } };
    }

    private static AuditContribution ContributeOnce(IAuditor auditor, AuditContext context, ReportRequest request, IAuditProgress progress) => auditor switch
    {
        FederatedLeakageAuditor a => FederatedContribution(a, context, request, progress),
        ConvolutionalLeakageAuditor a => RConvReport.Build(a.Run(context, RConvOptions(request), progress)),
        SplitPointAuditor a when a.NotApplicable(context) is { } why => new AuditContribution(
            new ThreatVerdict(ReportAssembler.SplitThreat, Severity.NotAssessed, "Not assessed: " + why, []), [], [], []),
        SplitPointAuditor a => SplitInversionReport.Build(a.Run(context, SplitOptions(request), progress)),
        _ => throw new InvalidOperationException($"no report builder for auditor '{auditor.Id}'"),
    };
}
