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
        var failOn = CommonOptions.FailOn();
        var allowNotAssessed = CommonOptions.AllowNotAssessed();
        var formats = new Option<string>("--formats") { Description = "Comma-separated output formats: pdf, html, json, sarif.", DefaultValueFactory = _ => "pdf,html,json" };
        var batchSize = new Option<int>("--batch-size", "-b") { Description = "The federated clients' training batch size M (exclusivity audit and gradient attack).", DefaultValueFactory = _ => 8 };
        var splits = CommonOptions.Splits(allByDefault: true);
        var quick = new Option<bool>("--quick") { Description = "Fewer batches, images and iterations (stated in the report) for a fast first look." };
        var command = new Command("report", "Audit the model and write report.pdf, report.html and report.json into the output folder. " + ExitCodes.HelpText)
        {
            model, data, output, seed, failOn, allowNotAssessed, device, threads, formats, batchSize, splits, quick,
        };
        command.SetAction(parse =>
        {
            var outDir = parse.GetRequiredValue(output);
            var runtime = CommonOptions.Runtime(parse.GetValue(device)!, parse.GetValue(threads));
            var wanted = ParseFormats(parse.GetValue(formats)!);
            CheckOutputDir(outDir);
            // why: the summary and the paths are printed after the live display has ended; printed inside it, the
            // redrawn progress area overwrote them (issue 13).
            var (report, written) = SpectreProgress.Run(console, progress =>
            {
                var request = new ReportRequest(parse.GetRequiredValue(model), parse.GetValue(data), parse.GetValue(batchSize), parse.GetValue(splits) ?? ["all"],
                    parse.GetValue(quick), parse.GetValue(seed), runtime,
                    "onnx-audit " + string.Join(' ', Environment.GetCommandLineArgs().Skip(1).Select(Quote)));
                var r = AuditPipeline.Report(request, progress);
                return (r, ReportWriter.Write(r, outDir, wanted));
            });
            Summary.Write(console, report, written);
            return ExitCodes.ForFindings(report, parse.GetValue(failOn), console, parse.GetValue(allowNotAssessed));
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
