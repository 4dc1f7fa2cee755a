using OnnxAudit.Reporting.Model;
using Spectre.Console;

namespace OnnxAudit.Cli;

/// <summary>The end of a <c>report</c> run: one row per threat (threat, verdict, key evidence), then the files written.
/// A Spectre table on a terminal (fits its width), plain tab-separated lines otherwise.</summary>
internal static class Summary
{
    public static void Write(CliConsole console, AuditReport report, IReadOnlyList<string> written)
    {
        ArgumentNullException.ThrowIfNull(report);
        if (console.Interactive)
        {
            var table = new Table().Border(TableBorder.Rounded).Expand();
            table.AddColumn(new Spectre.Console.TableColumn("Threat").NoWrap());
            table.AddColumn(new Spectre.Console.TableColumn("Verdict").NoWrap());
            table.AddColumn(new Spectre.Console.TableColumn("Key evidence"));
            foreach (var v in report.ExecutiveSummary)
            {
                var colour = v.Severity switch { Severity.High => "red", Severity.Medium => "darkorange", Severity.Low => "yellow", Severity.None => "green", _ => "grey" };
                var verdict = $"[bold {colour}]{Markup.Escape(v.Severity.Label())}[/]" + (v.Provisional ? "\n[grey]provisional (quick)[/]" : "");
                table.AddRow(new Markup(Markup.Escape(ShortThreat(v.Threat))), new Markup(verdict), new Text(v.Evidence));
            }
            console.Ansi.Write(table);
            if (report.ExecutiveSummary.Any(v => v.Provisional))
                console.Ansi.MarkupLine("[grey]Quick run: the verdicts are provisional; run without --quick before relying on them.[/]");
            foreach (var f in written) console.Ansi.WriteLine(f);
            return;
        }
        foreach (var v in report.ExecutiveSummary)
            console.Out.WriteLine($"{v.Threat}\t{v.DisplayLabel}\t{v.Evidence}");
        foreach (var f in written) console.Out.WriteLine(f);
    }

    private static string ShortThreat(string threat) => threat switch
    {
        Audits.Threats.Federated => "Federated",
        Audits.Threats.Convolutional => "Convolutional",
        Audits.Threats.Split => "Split inference",
        _ => threat,
    };
}
