using System.Diagnostics;
using System.Globalization;
using OnnxAudit.Audits;
using OnnxAudit.Audits.Exclusivity;
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
    public static (OnnxModel Model, GraphAnalysis Analysis) LoadModel(string modelPath, RuntimeOptions runtime)
    {
        var model = OnnxModel.Load(modelPath);
        // why: --device cuda must fail before any work when the provider is unavailable.
        ModelSession.CheckDevice(runtime);
        return (model, Autodiff.StaticShapeSource.Analyze(model, new GraphAnalysisOptions { BatchSize = 1 }, runtime));
    }

    /// <summary>Loads <paramref name="dataPath"/> and checks its images against the model input shape measured by the analyzer.</summary>
    /// <exception cref="DataFormatException">The data cannot be read or does not fit the model input.</exception>
    public static Dataset LoadData(string dataPath, GraphAnalysis analysis, string modelPath)
    {
        ArgumentNullException.ThrowIfNull(analysis);
        var dataset = DatasetLoader.Load(dataPath);
        dataset.CheckFits(analysis.Tensors[analysis.InputTensor].Shape.Select(d => (long?)d).ToArray(), modelPath);
        return dataset;
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
        var (model, analysis) = LoadModel(request.ModelPath, request.Runtime);
        timings.Add(new TimingEntry("load and analyse model", clock.Elapsed));
        progress.Message($"model: {Path.GetFileName(request.ModelPath)} — {analysis.Layers.Count} layers, {analysis.ParameterCount:N0} parameters, {analysis.SplitPoints.Count} split points");

        Dataset? dataset = null;
        ReportSection? dataSection = null;
        AuditContext? context = null;
        try
        {
            if (request.DataPath is { } dataPath)
            {
                var t0 = clock.Elapsed;
                dataset = LoadData(dataPath, analysis, request.ModelPath);
                context = new AuditContext(model, analysis, dataset, request.Runtime);
                var accuracy = dataset.HasLabels ? context.Accuracy(progress: progress) : null;
                dataSection = DataSectionBuilder.Build(dataset, dataPath, accuracy);
                timings.Add(new TimingEntry("load data and evaluate accuracy", clock.Elapsed - t0));
            }

            var notAssessed = new Dictionary<string, string>();
            var contributions = new List<AuditContribution>();
            if (request.BatchSize < 1) throw new OnnxAuditException($"--batch-size {request.BatchSize}: must be at least 1.");
            foreach (var auditor in Auditors)
            {
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
                timings.Add(new TimingEntry(auditor.Threat, clock.Elapsed - t0));
            }

            var repro = new Reproducibility(
            [
                new("Tool", ReportInfo.Creator),
                new("ONNX Runtime", ModelSession.OrtVersion),
                new("Execution provider", request.Runtime.Device.ToString().ToLowerInvariant()),
                new("Seed", request.Seed.ToString(CultureInfo.InvariantCulture)),
                new("Mode", request.Quick ? "quick (--quick: fewer batches, images and iterations; see each section)" : "full"),
                new("Federated batch size M", request.BatchSize.ToString(CultureInfo.InvariantCulture)),
                new("Model SHA-256", model.Sha256),
                new("Data SHA-256", dataset?.Sha256 ?? "(no data)"),
                new("Command line", request.CommandLine),
            ]);
            return ReportAssembler.Assemble(ModelCardBuilder.Build(analysis, request.ModelPath), analysis, dataSection, contributions, notAssessed, repro,
                new ReportTiming(started, DateTimeOffset.UtcNow, [.. timings, new TimingEntry("total", clock.Elapsed)]));
        }
        finally
        {
            context?.Dispose();
        }
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

    private static AuditContribution Contribute(IAuditor auditor, AuditContext context, ReportRequest request, IAuditProgress progress) => auditor switch
    {
        FederatedLeakageAuditor a => ExclusivityReport.Build(a.Run(context, ExclusivityOptions(request), progress)),
        ConvolutionalLeakageAuditor a => RConvReport.Build(a.Run(context, RConvOptions(request), progress)),
        SplitPointAuditor a when a.NotApplicable(context) is { } why => throw new OnnxAuditException(why),
        SplitPointAuditor a => SplitInversionReport.Build(a.Run(context, SplitOptions(request), progress)),
        _ => throw new InvalidOperationException($"no report builder for auditor '{auditor.Id}'"),
    };
}
