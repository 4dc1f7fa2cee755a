using System.CommandLine;
using OnnxAudit.Pipeline;
using OnnxAudit.Reporting;
using OnnxAudit.Reporting.Model;

namespace OnnxAudit.Cli.Commands;

/// <summary><c>onnx-audit report MODEL [--data D] -o DIR …</c>: runs every applicable auditor and writes
/// report.pdf, report.html and report.json.</summary>
internal static class ReportCommand
{
    public static Command Create(CliConsole console)
    {
        var model = CommonOptions.Model();
        model.Arity = ArgumentArity.ZeroOrOne;
        model.Description += " Optional with --config.";
        var data = CommonOptions.Data();
        var output = CommonOptions.OutputDir(required: false);
        var config = new Option<string?>("--config") { Description = "Run the audit described by this onnx-audit.yaml (write one with 'onnx-audit init'); flags given as well override it." };
        var seed = CommonOptions.Seed();
        var device = CommonOptions.Device();
        var threads = CommonOptions.Threads();
        var failOn = CommonOptions.FailOn();
        var allowNotAssessed = CommonOptions.AllowNotAssessed();
        var formats = new Option<string>("--formats") { Description = "Comma-separated output formats: pdf, html, json, sarif.", DefaultValueFactory = _ => "pdf,html,json" };
        var batchSize = new Option<int>("--batch-size", "-b") { Description = "The federated clients' training batch size M (exclusivity audit and gradient attack).", DefaultValueFactory = _ => 8 };
        var splits = CommonOptions.Splits(allByDefault: true);
        var quick = new Option<bool>("--quick") { Description = "Fewer batches, images and iterations (stated in the report) for a fast first look." };
        var json = CommonOptions.Json();
        json.Description = "Print the verdicts and the files written as JSON (instead of the summary table).";
        var command = new Command("report", "Audit the model and write report.pdf, report.html and report.json into the output folder. " + ExitCodes.HelpText)
        {
            model, data, output, config, seed, failOn, allowNotAssessed, device, threads, formats, batchSize, splits, quick, json,
        };
        var flags = new DataFlags();
        flags.AddTo(command);
        command.SetAction(parse =>
        {
            // why: issue 11 — flags override the config file; an option counts as given only when it was typed.
            var cfg = parse.GetValue(config) is { } cfgPath ? AuditConfig.Load(cfgPath) : new AuditConfig();
            int PickInt(Option<int> o, int? fromConfig) => Given(parse, o) || fromConfig is null ? parse.GetValue(o) : fromConfig.Value;
            string PickStr(Option<string> o, string? fromConfig) => Given(parse, o) || fromConfig is null ? parse.GetValue(o)! : fromConfig;
            var modelPath = parse.GetValue(model) ?? cfg.Model
                ?? throw new Errors.OnnxAuditException("report: no model given; pass the model path (onnx-audit report MODEL …) or 'model:' in --config.");
            var outDir = (Given(parse, output) ? parse.GetValue(output) : null) ?? cfg.Output
                ?? throw new Errors.OnnxAuditException("report: no output folder given; pass -o DIR or 'output:' in --config.");
            var p = cfg.Preprocessing ?? new AuditConfig.PreprocessingSection();
            var pre = Data.Preprocessing.From(
                Given(parse, flags.Resize) ? parse.GetValue(flags.Resize) : p.Resize,
                Given(parse, flags.CenterCrop) ? parse.GetValue(flags.CenterCrop) : p.CenterCrop,
                Given(parse, flags.Channels) ? parse.GetValue(flags.Channels) : p.Channels,
                Given(parse, flags.Normalize) ? parse.GetValue(flags.Normalize) : (Given(parse, flags.Mean) ? null : p.Normalize),
                Given(parse, flags.Mean) ? parse.GetValue(flags.Mean) : Join(p.Mean),
                Given(parse, flags.Std) ? parse.GetValue(flags.Std) : Join(p.Std),
                Given(parse, flags.Classes) ? parse.GetValue(flags.Classes) : cfg.Classes);
            var b = cfg.Budgets ?? new AuditConfig.BudgetsSection();
            var effective = new AuditConfig
            {
                Model = modelPath,
                Data = (Given(parse, data) ? parse.GetValue(data) : null) ?? cfg.Data,
                Output = outDir,
                Preprocessing = new AuditConfig.PreprocessingSection
                {
                    Resize = pre.Resize,
                    CenterCrop = pre.CropHeight is { } ch ? $"{ch},{pre.CropWidth ?? ch}" : null,
                    Channels = pre.Channels,
                    Normalize = pre.NormalizeName is "custom" ? null : pre.NormalizeName,
                    Mean = pre.NormalizeName is "custom" ? [.. pre.Mean!] : null,
                    Std = pre.NormalizeName is "custom" ? [.. pre.Std!] : null,
                },
                Classes = pre.ClassesPath,
                Threats = cfg.Threats ?? [.. AuditConfig.ThreatIds],
                Budgets = new AuditConfig.BudgetsSection
                {
                    Quick = Given(parse, quick) || b.Quick is null ? parse.GetValue(quick) : b.Quick,
                    BatchSize = PickInt(batchSize, b.BatchSize),
                    Splits = Given(parse, splits) || b.Splits is null ? [.. parse.GetValue(splits) ?? ["auto"]] : b.Splits,
                },
                Seed = PickInt(seed, cfg.Seed),
                Device = PickStr(device, cfg.Device),
                Threads = PickInt(threads, cfg.Threads),
                Formats = PickStr(formats, cfg.Formats),
            };
            var runtime = CommonOptions.Runtime(effective.Device!, effective.Threads!.Value);
            var wanted = ParseFormats(effective.Formats!);
            CheckOutputDir(outDir);
            // why: the summary and the paths are printed after the live display has ended; printed inside it, the
            // redrawn progress area overwrote them (issue 13).
            var (report, written) = SpectreProgress.Run(console, progress =>
            {
                var request = new ReportRequest(modelPath, effective.Data, effective.Budgets.BatchSize!.Value, effective.Budgets.Splits!,
                    effective.Budgets.Quick!.Value, effective.Seed!.Value, runtime,
                    "onnx-audit " + string.Join(' ', Environment.GetCommandLineArgs().Skip(1).Select(Quote)))
                {
                    Preprocessing = pre,
                    Threats = effective.Threats,
                    EffectiveConfig = effective.ToYaml(),
                };
                var r = AuditPipeline.Report(request, progress);
                return (r, ReportWriter.Write(r, outDir, wanted));
            });
            foreach (var note in report.Sections.Where(x => x.Id == Reporting.Sections.DataSectionBuilder.SectionId).SelectMany(x => x.Blocks)
                .OfType<NoteBlock>().Where(n => n.Kind == NoteKind.Warning))
                console.Error.WriteLine("warning: " + note.Text);
            if (parse.GetValue(json))
                VerbJson.Write(console, "report", new
                {
                    model = modelPath,
                    output = outDir,
                    quick = effective.Budgets.Quick!.Value,
                    highestSeverity = report.HighestSeverity().JsonName(),
                    verdicts = report.ExecutiveSummary.Select(JsonReportRenderer.VerdictNode),
                    files = written,
                });
            else Summary.Write(console, report, written);
            return ExitCodes.ForFindings(report, parse.GetValue(failOn), console, parse.GetValue(allowNotAssessed));
        });
        return command;
    }

    private static bool Given(ParseResult parse, Option option) => parse.GetResult(option) is { Implicit: false };

    private static string? Join(List<float>? v) => v is null ? null : string.Join(',', v.Select(x => x.ToString("R", System.Globalization.CultureInfo.InvariantCulture)));

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
                "sarif" => ReportFormats.Sarif,
                _ => throw new Errors.OnnxAuditException($"--formats {text}: unknown format '{part}'; use a comma-separated list of pdf, html, json, sarif."),
            };
        }
        if (result == 0) throw new Errors.OnnxAuditException($"--formats {text}: no format given; use e.g. pdf,html,json.");
        return result;
    }

    internal static void CheckOutputDir(string outDir)
    {
        Common.OutputPath.CheckFolder(outDir, "-o");
    }

    private static string Quote(string s) => s.Contains(' ', StringComparison.Ordinal) ? $"\"{s}\"" : s;
}
