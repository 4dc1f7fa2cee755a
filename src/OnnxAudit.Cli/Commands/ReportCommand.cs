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
        var data = CommonOptions.Data();
        var output = CommonOptions.OutputDir();
        var seed = CommonOptions.Seed();
        var device = CommonOptions.Device();
        var threads = CommonOptions.Threads();
        var failOn = new Option<string?>("--fail-on") { Description = "Exit with code 1 when a finding is at or above this severity: high, medium or low." };
        failOn.AcceptOnlyFromAmong("high", "medium", "low");
        var formats = new Option<string>("--formats") { Description = "Comma-separated output formats: pdf, html, json.", DefaultValueFactory = _ => "pdf,html,json" };
        var batchSize = new Option<int>("--batch-size", "-b") { Description = "The federated clients' training batch size M (exclusivity audit and gradient attack).", DefaultValueFactory = _ => 8 };
        var splits = new Option<string[]>("--splits") { Description = "Split points to attack: 'auto' (default: at most 8 spread over depth; 4 with --quick), 'all' or tensor names (see 'onnx-audit inspect').", AllowMultipleArgumentsPerToken = true, DefaultValueFactory = _ => ["auto"] };
        var quick = new Option<bool>("--quick") { Description = "Fewer batches, images and iterations (stated in the report) for a fast first look." };
        var command = new Command("report", "Audit the model and write report.pdf, report.html and report.json into the output folder. " + ExitCodes.HelpText)
        {
            model, data, output, seed, failOn, device, threads, formats, batchSize, splits, quick,
        };
        command.SetAction(parse =>
        {
            return SpectreProgress.Run(console, progress =>
            {
                var outDir = parse.GetRequiredValue(output);
                var runtime = CommonOptions.Runtime(parse.GetValue(device)!, parse.GetValue(threads));
                var wanted = ParseFormats(parse.GetValue(formats)!);
                CheckOutputDir(outDir);
                var request = new ReportRequest(parse.GetRequiredValue(model), parse.GetValue(data), parse.GetValue(batchSize), parse.GetValue(splits) ?? ["auto"],
                    parse.GetValue(quick), parse.GetValue(seed), runtime,
                    "onnx-audit " + string.Join(' ', Environment.GetCommandLineArgs().Skip(1).Select(Quote)));
                var report = AuditPipeline.Report(request, progress);
                var written = ReportWriter.Write(report, outDir, wanted);
                foreach (var f in written) console.Out.WriteLine(f);
                return ExitCodes.ForFindings(report, parse.GetValue(failOn), console);
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
