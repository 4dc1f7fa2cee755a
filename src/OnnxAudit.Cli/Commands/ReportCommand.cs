using System.CommandLine;
using System.Diagnostics;
using OnnxAudit.Audits;
using OnnxAudit.Data;
using OnnxAudit.Graph;
using OnnxAudit.Onnx;
using OnnxAudit.Reporting;
using OnnxAudit.Reporting.Model;
using OnnxAudit.Reporting.Sections;
using OnnxAudit.Runtime;

namespace OnnxAudit.Cli.Commands;

/// <summary><c>onnx-audit report MODEL [--data D] -o DIR …</c>: runs every applicable auditor and writes
/// report.pdf, report.html and report.json.</summary>
internal static class ReportCommand
{
    public static Command Create(CliConsole console)
    {
        var model = CommonOptions.Model();
        var data = CommonOptions.Data();
        var output = CommonOptions.OutputDir();
        var seed = CommonOptions.Seed();
        var device = CommonOptions.Device();
        var threads = CommonOptions.Threads();
        var failOn = new Option<string?>("--fail-on") { Description = "Exit with code 1 when a finding is at or above this severity: high, medium or low." };
        failOn.AcceptOnlyFromAmong("high", "medium", "low");
        var formats = new Option<string>("--formats") { Description = "Comma-separated output formats: pdf, html, json.", DefaultValueFactory = _ => "pdf,html,json" };
        var batchSize = new Option<int>("--batch-size", "-b") { Description = "The federated clients' training batch size M (exclusivity audit and gradient attack).", DefaultValueFactory = _ => 8 };
        var splits = new Option<string[]>("--splits") { Description = "Split points to attack: 'all' (default) or tensor names (see 'onnx-audit inspect').", AllowMultipleArgumentsPerToken = true, DefaultValueFactory = _ => ["all"] };
        var quick = new Option<bool>("--quick") { Description = "Fewer batches, images and iterations (stated in the report) for a fast first look." };
        var command = new Command("report", "Audit the model and write report.pdf, report.html and report.json into the output folder. " + ExitCodes.HelpText)
        {
            model, data, output, seed, failOn, device, threads, formats, batchSize, splits, quick,
        };
        command.SetAction(parse =>
        {
            var started = DateTimeOffset.UtcNow;
            var clock = Stopwatch.StartNew();
            var timings = new List<TimingEntry>();
            return SpectreProgress.Run(console, progress =>
            {
                var modelPath = parse.GetRequiredValue(model);
                var outDir = parse.GetRequiredValue(output);
                var runtime = CommonOptions.Runtime(parse.GetValue(device)!, parse.GetValue(threads));
                var wanted = ParseFormats(parse.GetValue(formats)!);
                CheckOutputDir(outDir);

                var loaded = OnnxModel.Load(modelPath);
                // why: --device cuda must fail before any work when the provider is unavailable.
                using (SessionFactory.CreateSessionOptions(runtime)) { }
                var analysis = GraphAnalyzer.Analyze(loaded, new GraphAnalysisOptions { BatchSize = 1, RuntimeOptions = runtime });
                timings.Add(new TimingEntry("load and analyse model", clock.Elapsed));
                progress.Message($"model: {Path.GetFileName(modelPath)} — {analysis.Layers.Count} layers, {analysis.ParameterCount:N0} parameters, {analysis.SplitPoints.Count} split points");

                Dataset? dataset = null;
                ReportSection? dataSection = null;
                var dataPath = parse.GetValue(data);
                if (dataPath is not null)
                {
                    var t0 = clock.Elapsed;
                    dataset = CommonOptions.LoadData(dataPath, analysis, modelPath);
                    var accuracy = dataset.HasLabels ? ModelEvaluation.Accuracy(loaded, dataset, runtime, progress) : null;
                    dataSection = DataSectionBuilder.Build(dataset, dataPath, accuracy);
                    timings.Add(new TimingEntry("load data and evaluate accuracy", clock.Elapsed - t0));
                }

                var notAssessed = new Dictionary<string, string>();
                var contributions = new List<AuditContribution>();
                var settings = new ReportSettings(parse.GetValue(batchSize), parse.GetValue(splits) ?? ["all"], parse.GetValue(quick), parse.GetValue(seed), runtime);
                if (settings.BatchSize < 1) throw new Errors.OnnxAuditException($"--batch-size {settings.BatchSize}: must be at least 1.");
                foreach (var threat in ReportAssembler.Threats)
                {
                    if (dataset is null)
                    {
                        notAssessed[threat] = "Not assessed: no data was given (--data); every auditor measures leakage on sample data.";
                        continue;
                    }
                    var auditor = ReportAuditors.For(threat);
                    if (auditor is null)
                    {
                        notAssessed[threat] = "Not assessed: this auditor is not part of this version of OnnxAudit.";
                        continue;
                    }
                    var t0 = clock.Elapsed;
                    try
                    {
                        contributions.Add(auditor(loaded, analysis, dataset, settings, progress));
                    }
                    catch (Errors.OnnxAuditException ex) when (ex is not Errors.DataFormatException)
                    {
                        // why: one auditor that cannot handle this model (e.g. an operator without a gradient rule) must not
                        // stop the others; the report says why that threat was not assessed.
                        notAssessed[threat] = "Not assessed: " + ex.Message;
                        progress.Message($"{threat}: not assessed — {ex.Message}");
                    }
                    timings.Add(new TimingEntry(threat, clock.Elapsed - t0));
                }

                var repro = new Reproducibility(
                [
                    new("Tool", ReportInfo.Creator),
                    new("ONNX Runtime", SessionFactory.OrtVersion),
                    new("Execution provider", runtime.Device.ToString().ToLowerInvariant()),
                    new("Seed", parse.GetValue(seed).ToString(System.Globalization.CultureInfo.InvariantCulture)),
                    new("Mode", parse.GetValue(quick) ? "quick (--quick: fewer batches, images and iterations; see each section)" : "full"),
                    new("Federated batch size M", parse.GetValue(batchSize).ToString(System.Globalization.CultureInfo.InvariantCulture)),
                    new("Model SHA-256", loaded.Sha256),
                    new("Data SHA-256", dataset?.Sha256 ?? "(no data)"),
                    new("Command line", "onnx-audit " + string.Join(' ', Environment.GetCommandLineArgs().Skip(1).Select(Quote))),
                ]);
                var report = ReportAssembler.Assemble(ModelCardBuilder.Build(analysis, modelPath), analysis, dataSection, contributions, notAssessed, repro,
                    new ReportTiming(started, DateTimeOffset.UtcNow, [.. timings, new TimingEntry("total", clock.Elapsed)]));
                var written = ReportWriter.Write(report, outDir, wanted);
                foreach (var f in written) console.Out.WriteLine(f);

                var threshold = parse.GetValue(failOn);
                if (threshold is null) return ExitCodes.Ok;
                var level = threshold switch { "high" => Severity.High, "medium" => Severity.Medium, _ => Severity.Low };
                var highest = report.HighestSeverity();
                if (highest.IsAtLeast(level))
                {
                    console.Error.WriteLine($"findings at or above {threshold}: highest severity is {highest.Label()} (exit code 1).");
                    return ExitCodes.Findings;
                }
                return ExitCodes.Ok;
            });
        });
        return command;
    }

    private static ReportFormats ParseFormats(string text)
    {
        var result = (ReportFormats)0;
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            result |= part.ToLowerInvariant() switch
            {
                "pdf" => ReportFormats.Pdf,
                "html" => ReportFormats.Html,
                "json" => ReportFormats.Json,
                _ => throw new Errors.OnnxAuditException($"--formats {text}: unknown format '{part}'; use a comma-separated list of pdf, html, json."),
            };
        }
        if (result == 0) throw new Errors.OnnxAuditException($"--formats {text}: no format given; use e.g. pdf,html,json.");
        return result;
    }

    internal static void CheckOutputDir(string outDir)
    {
        if (File.Exists(outDir)) throw new Errors.OnnxAuditException($"{outDir}: the output path is a file, not a folder; pass a folder with -o.");
    }

    private static string Quote(string s) => s.Contains(' ', StringComparison.Ordinal) ? $"\"{s}\"" : s;
}
