using OnnxAudit.Pipeline;
using OnnxAudit.Audits;
using OnnxAudit.Reporting.Sections;
using System.CommandLine;
using OnnxAudit.Audits.Exclusivity;
using OnnxAudit.Data;
using OnnxAudit.Errors;
using OnnxAudit.Graph;
using OnnxAudit.Onnx;
using OnnxAudit.Reporting.Model;
using OnnxAudit.Runtime;

namespace OnnxAudit.Cli.Commands;

/// <summary><c>onnx-audit exclusivity MODEL --data D [--batch-size M] [--batches N] [--seed S] [--json]</c>: the
/// neuron-exclusivity statistics (Pan et al.) as tables or JSON. Exit code by --fail-on (<see cref="ExitCodes"/>).</summary>
internal static class ExclusivityCommand
{
    public static Command Create(CliConsole console)
    {
        var model = CommonOptions.Model();
        var data = CommonOptions.Data(required: true);
        var batch = BatchSize();
        var batches = new Option<int>("--batches") { Description = "Sampled batches per statistic.", DefaultValueFactory = _ => 1000 };
        var seed = CommonOptions.Seed();
        var json = CommonOptions.Json();
        var device = CommonOptions.Device();
        var threads = CommonOptions.Threads();
        var failOn = CommonOptions.FailOn();
        var allowNotAssessed = CommonOptions.AllowNotAssessed();
        var command = new Command("exclusivity",
            "Neuron-exclusivity statistics of the classifier head on sample data: insecure / secure / undetermined batch proportions with 95% " +
            "Wilson intervals, ExANs per layer, a batch-size sweep and same-class batches. " + ExitCodes.HelpText)
        {
            model, data, batch, batches, seed, json, device, threads, failOn, allowNotAssessed,
        };
        var flags = new DataFlags();
        flags.AddTo(command);
        command.SetAction(parse =>
        {
            var runtime = CommonOptions.Runtime(parse.GetValue(device)!, parse.GetValue(threads));
            var (loaded, analysis, dataset) = LoadInputs(parse.GetRequiredValue(model), parse.GetRequiredValue(data)!, runtime, flags.Read(parse));
            var m = parse.GetValue(batch);
            var n = parse.GetValue(batches);
            CommonOptions.CheckCount(n, "--batches", 1, 1_000_000, "each batch is one sampled statistic; a million already gives a ±0.1 % interval");
            CheckBatchSize(m, dataset);
            return SpectreProgress.Run(console, progress =>
            {
                var layers = HeadReluLayers.From(analysis.Head!);
                using var context = new AuditContext(loaded, analysis, dataset, runtime);
                var stats = ExclusivityAuditor.Run(context, loaded, layers,
                    ExclusivityOptions.Default with { BatchSize = m, Batches = n, Seed = parse.GetValue(seed), Runtime = runtime }, progress);
                var contribution = ExclusivityReport.Build(stats, null, null);
                if (parse.GetValue(json))
                    VerbJson.Write(console, "exclusivity", new { verdict = Reporting.JsonReportRenderer.VerdictNode(contribution.Verdict), statistics = stats });
                else
                    foreach (var s in contribution.Sections) SpectreBlocks.Write(console.Ansi, s);
                return ExitCodes.ForVerdict(contribution.Verdict, parse.GetValue(failOn), parse.GetValue(allowNotAssessed), console);
            });
        });
        return command;
    }


    internal static Option<int> BatchSize() => new("--batch-size", "-b") { Description = "Deployment batch size M.", DefaultValueFactory = _ => 8 };

    internal static void CheckBatchSize(int m, Dataset dataset)
    {
        if (m < 1 || m > dataset.N)
            throw new OnnxAuditException($"--batch-size {m}: must be between 1 and the {dataset.N} samples of {dataset.Source}; use a smaller batch size or more data.");
    }

    /// <summary>Loads and checks model and data; throws <see cref="OnnxAuditException"/> (exit 2) when the exclusivity analysis does not apply.</summary>
    internal static (OnnxModel Model, GraphAnalysis Analysis, Dataset Data) LoadInputs(string modelPath, string dataPath, RuntimeOptions runtime,
        Preprocessing? preprocessing = null)
    {
        var (loaded, analysis) = AuditPipeline.LoadModel(modelPath, runtime, preprocessing);
        var dataset = AuditPipeline.LoadData(dataPath, analysis, modelPath, preprocessing, loaded);
        if (ExclusivityAudit.NotApplicable(loaded, analysis) is { } reason)
            throw new UnsupportedOperatorException($"{modelPath}: {reason} Use a model whose classifier head has ReLU layers.");
        return (loaded, analysis, dataset);
    }
}
