using OnnxAudit.Reporting.Model;
using Spectre.Console;

namespace OnnxAudit.Cli;

/// <summary>Renders report blocks (the same ones the PDF shows) as Spectre.Console tables and text.</summary>
internal static class SpectreBlocks
{
    public static void Write(IAnsiConsole console, ReportBlock block)
    {
        switch (block)
        {
            case ParagraphBlock p:
                console.WriteLine(string.Concat(p.Runs.Select(r => r.Text)));
                console.WriteLine();
                break;
            case KeyValueBlock kv:
                var grid = new Table().Border(TableBorder.Rounded).AddColumn("").AddColumn("");
                grid.ShowHeaders = false;
                if (kv.Caption is not null) grid.Title = new TableTitle(Markup.Escape(kv.Caption));
                foreach (var item in kv.Items) grid.AddRow(new Text(item.Key, new Style(decoration: Decoration.Bold)), new Text(item.Value));
                console.Write(grid);
                break;
            case TableBlock t:
                var table = new Table().Border(TableBorder.Rounded);
                if (t.Caption is not null) table.Title = new TableTitle(Markup.Escape(t.Caption));
                foreach (var c in t.Columns)
                {
                    var col = new Spectre.Console.TableColumn(Markup.Escape(c.Header));
                    if (c.Alignment == ColumnAlignment.Right) col.RightAligned();
                    table.AddColumn(col);
                }
                foreach (var row in t.Rows) table.AddRow(row.Select(cell => (Spectre.Console.Rendering.IRenderable)new Text(cell.Text, Style(cell.Severity))).ToArray());
                console.Write(table);
                break;
            case FindingBlock f:
                console.Write(new Markup($"[{Colour(f.Severity)} bold]{f.Severity.Label()}[/] [bold]{Markup.Escape(f.Title)}[/]\n  {Markup.Escape(f.Evidence)}\n  Recommendation: {Markup.Escape(f.Recommendation)}\n  Rule: {Markup.Escape(f.Rule)}\n"));
                break;
            case NoteBlock n:
                console.Write(new Markup($"[{(n.Kind == NoteKind.Warning ? "yellow" : "grey")}]{Markup.Escape(n.Text)}[/]\n"));
                break;
            case ChartBlock c:
                console.WriteLine($"{c.Title}:");
                foreach (var s in c.Series) console.WriteLine($"  {s.Name}: " + string.Join("  ", s.Points.Select(p => $"{p.Label ?? p.X.ToString(System.Globalization.CultureInfo.InvariantCulture)}={p.Y.ToString("G4", System.Globalization.CultureInfo.InvariantCulture)}")));
                break;
            case ImageGridBlock g:
                console.WriteLine($"[image grid: {g.Caption}; {g.Rows.Count} row(s) — see the PDF/HTML report]");
                break;
        }
    }

    public static void Write(IAnsiConsole console, ReportSection section)
    {
        console.Write(new Rule($"[bold]{Markup.Escape(section.Title)}[/]").LeftJustified());
        foreach (var b in section.Blocks) Write(console, b);
    }

    public static string Colour(Severity s) => s switch
    {
        Severity.High => "red",
        Severity.Medium => "darkorange",
        Severity.Low => "yellow",
        Severity.None => "green",
        _ => "grey",
    };

    private static Style Style(Severity? s) => s is null ? Spectre.Console.Style.Plain : new Style(foreground: s switch
    {
        Severity.High => Color.Red,
        Severity.Medium => Color.DarkOrange,
        Severity.Low => Color.Yellow,
        Severity.None => Color.Green,
        _ => Color.Grey,
    });
}
