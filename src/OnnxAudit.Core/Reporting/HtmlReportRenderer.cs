using System.Globalization;
using System.Net;
using System.Text;
using OnnxAudit.Reporting.Model;

namespace OnnxAudit.Reporting;

/// <summary>
/// Renders report.html: one self-contained, well-formed (XHTML-compatible) file with inline CSS,
/// inline SVG charts and PNG images as <c>data:</c> URIs; every text is HTML-escaped. Same content and
/// order as the PDF. Stateless and thread-safe.
/// </summary>
internal sealed class HtmlReportRenderer : IReportRenderer
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <inheritdoc/>
    public string FileName => "report.html";

    /// <inheritdoc/>
    public void Render(AuditReport report, Stream output)
    {
        var sb = new StringBuilder();
        sb.Append("<!DOCTYPE html>\n<html lang=\"en\" xmlns=\"http://www.w3.org/1999/xhtml\">\n<head>\n<meta charset=\"utf-8\" />\n");
        sb.Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\" />\n");
        sb.Append("<meta name=\"generator\" content=\"").Append(E(ReportInfo.Creator)).Append("\" />\n");
        sb.Append("<title>").Append(E(report.Title)).Append("</title>\n<style>").Append(Css).Append("</style>\n</head>\n<body>\n");

        sb.Append("<header class=\"cover\"><div class=\"kicker\">ONNXAUDIT · DATA-LEAKAGE AUDIT</div><h1>")
          .Append(E(report.Title)).Append("</h1></header>\n<main>\n");
        sb.Append("<section id=\"model\"><h2>Model</h2>");
        KeyValues(sb, report.Model.ToRows());
        sb.Append("</section>\n");

        sb.Append("<section id=\"summary\"><h2>Executive summary</h2>\n<p class=\"highest\"><strong>Highest severity found: </strong>")
          .Append(Badge(report.HighestSeverity())).Append("</p>\n<div class=\"verdicts\">\n");
        foreach (var v in report.ExecutiveSummary)
        {
            sb.Append("<div class=\"verdict\" style=\"background:").Append(v.Severity.Color().Tint(0.9).Hex).Append("\">")
              .Append(v.Provisional ? "<div>" + Badge(v.Severity) + "<span class=\"prov\">PROVISIONAL</span></div>" : Badge(v.Severity)).Append("<div><strong>");
            if (v.SectionId is not null) sb.Append("<a href=\"#").Append(E(v.SectionId)).Append("\">").Append(E(v.Threat)).Append("</a>");
            else sb.Append(E(v.Threat));
            sb.Append("</strong><br />").Append(E(v.Evidence));
            if (v.Provisional)
                sb.Append("<br /><strong class=\"provisional\">Provisional (quick run):</strong> budget: ").Append(E(v.QuickBudget!))
                  .Append(". A full run adds: ").Append(E(v.FullRunAdds!)).Append('.');
            sb.Append("</div></div>\n");
        }
        sb.Append("</div>\n");
        var withActions = report.ExecutiveSummary.Where(v => v.Actions.Count > 0).ToList();
        if (withActions.Count > 0)
        {
            sb.Append("<h3>Recommended actions</h3>\n");
            foreach (var v in withActions)
            {
                sb.Append("<p class=\"threat\"><strong>").Append(E(v.Threat)).Append("</strong></p><ul>");
                foreach (var a in v.Actions) sb.Append("<li>").Append(E(a)).Append("</li>");
                sb.Append("</ul>\n");
            }
        }
        sb.Append("</section>\n");

        sb.Append("<nav><h2>Contents</h2><ol>");
        foreach (var s in report.Sections) sb.Append("<li><a href=\"#").Append(E(s.Id)).Append("\">").Append(E(s.Title)).Append("</a></li>");
        sb.Append("</ol><ul class=\"plain\"><li><a href=\"#methodology\">Methodology</a></li><li><a href=\"#reproducibility\">Reproducibility</a></li></ul></nav>\n");

        var chartIndex = 0;
        for (var i = 0; i < report.Sections.Count; i++)
        {
            var s = report.Sections[i];
            sb.Append("<section id=\"").Append(E(s.Id)).Append("\"><h2>").Append(i + 1).Append(".&#160;").Append(E(s.Title)).Append("</h2>\n");
            foreach (var b in s.Blocks) Block(sb, b, ref chartIndex);
            sb.Append("</section>\n");
        }

        sb.Append("<section id=\"methodology\"><h2>Methodology</h2>\n");
        foreach (var p in report.Methodology.Paragraphs) sb.Append("<p>").Append(E(p)).Append("</p>\n");
        if (report.Methodology.References.Count > 0)
        {
            sb.Append("<h3>References</h3><dl class=\"refs\">");
            foreach (var r in report.Methodology.References)
            {
                sb.Append("<dt>[").Append(E(r.Key)).Append("]</dt><dd>").Append(E(r.Text));
                if (r.Url is not null) sb.Append(" <a href=\"").Append(E(r.Url)).Append("\">").Append(E(r.Url)).Append("</a>");
                sb.Append("</dd>");
            }
            sb.Append("</dl>\n");
        }
        sb.Append("</section>\n<section id=\"reproducibility\"><h2>Reproducibility</h2>\n");
        KeyValues(sb, report.Reproducibility.Items);
        sb.Append("<h3>Timing</h3>");
        var timing = new List<KeyValue>
        {
            new("Started", report.Timing.Started.ToString("o", Inv)),
            new("Finished", report.Timing.Finished.ToString("o", Inv)),
            new("Total duration", report.Timing.Total.TotalSeconds.ToString("0.00", Inv) + " s"),
        };
        timing.AddRange(report.Timing.Stages.Select(t => new KeyValue(t.Stage, t.Duration.TotalSeconds.ToString("0.00", Inv) + " s")));
        KeyValues(sb, timing, "timing");
        sb.Append("</section>\n</main>\n<footer>").Append(E(ReportInfo.Creator)).Append(" · ").Append(E(report.Model.Name)).Append("</footer>\n</body>\n</html>\n");

        var bytes = new UTF8Encoding(false).GetBytes(sb.ToString());
        output.Write(bytes);
    }

    /// <summary>HTML/XML escape (also quotes, so it is safe inside attributes).</summary>
    internal static string E(string s) => WebUtility.HtmlEncode(s);

    private static string Badge(Severity s) =>
        $"<span class=\"badge\" style=\"background:{s.Color().Hex}\">{E(s.Label())}</span>";

    private static void KeyValues(StringBuilder sb, IEnumerable<KeyValue> items, string? cls = null)
    {
        sb.Append("<table class=\"kv").Append(cls is null ? "" : " " + cls).Append("\"><tbody>");
        foreach (var kv in items) sb.Append("<tr><th>").Append(E(kv.Key)).Append("</th><td>").Append(E(kv.Value)).Append("</td></tr>");
        sb.Append("</tbody></table>\n");
    }

    private static void Block(StringBuilder sb, ReportBlock block, ref int chartIndex)
    {
        switch (block)
        {
            case ParagraphBlock p:
                sb.Append("<p>");
                foreach (var r in p.Runs) sb.Append(r.Bold ? "<strong>" + E(r.Text) + "</strong>" : E(r.Text));
                sb.Append("</p>\n");
                break;
            case KeyValueBlock kv:
                if (kv.Caption is not null) sb.Append("<p class=\"caption\">").Append(E(kv.Caption)).Append("</p>");
                KeyValues(sb, kv.Items);
                break;
            case TableBlock t:
                // why: at 400 px a wide table scrolls inside its own box instead of wrapping one character per line (issue 13).
                if (t.Caption is not null) sb.Append("<p class=\"caption\">").Append(E(t.Caption)).Append("</p>");
                sb.Append("<div class=\"scroll\"><table class=\"data\">");
                sb.Append("<thead><tr>");
                foreach (var c in t.Columns) sb.Append("<th class=\"").Append(Align(c.Alignment)).Append("\">").Append(E(c.Header)).Append("</th>");
                sb.Append("</tr></thead><tbody>\n");
                foreach (var row in t.Rows)
                {
                    sb.Append("<tr>");
                    for (var i = 0; i < row.Count; i++)
                    {
                        sb.Append("<td class=\"").Append(Align(t.Columns[i].Alignment)).Append('"');
                        if (row[i].Severity is { } sev) sb.Append(" style=\"background:").Append(sev.Color().Tint(0.72).Hex).Append('"');
                        sb.Append('>').Append(E(row[i].Text)).Append("</td>");
                    }
                    sb.Append("</tr>\n");
                }
                sb.Append("</tbody></table></div>\n");
                break;
            case FindingBlock f:
                sb.Append("<div class=\"finding\" style=\"border-left-color:").Append(f.Severity.Color().Hex)
                  .Append(";background:").Append(f.Severity.Color().Tint(0.93).Hex).Append("\"><div class=\"ftitle\">")
                  .Append(Badge(f.Severity)).Append(" <strong>").Append(E(f.Title)).Append("</strong></div>")
                  .Append("<p><strong>Evidence: </strong>").Append(E(f.Evidence)).Append("</p>")
                  .Append("<p><strong>Recommendation: </strong>").Append(E(f.Recommendation)).Append("</p>")
                  .Append("<p class=\"rule\">Rule: ").Append(E(f.Rule)).Append("</p></div>\n");
                break;
            case NoteBlock n:
                sb.Append("<div class=\"note ").Append(n.Kind == NoteKind.Warning ? "warning" : "info").Append("\"><strong>")
                  .Append(n.Kind == NoteKind.Warning ? "Warning: " : "Note: ").Append("</strong>").Append(E(n.Text)).Append("</div>\n");
                break;
            case ChartBlock ch:
                sb.Append("<figure class=\"chart\">").Append(ReportChart.Svg(ch, chartIndex++)).Append("</figure>\n");
                break;
            case ImageGridBlock g:
                sb.Append("<figure class=\"grid\"><div class=\"scroll\"><table class=\"images\">");
                if (g.ColumnLabels.Count > 0)
                {
                    sb.Append("<thead><tr><th></th>");
                    foreach (var l in g.ColumnLabels) sb.Append("<th>").Append(E(l)).Append("</th>");
                    sb.Append("</tr></thead>");
                }
                sb.Append("<tbody>");
                foreach (var row in g.Rows)
                {
                    sb.Append("<tr><th>").Append(E(row.Label)).Append("</th>");
                    foreach (var img in row.Images)
                    {
                        sb.Append("<td><img alt=\"").Append(E(row.Label + (img.Caption is null ? "" : " " + img.Caption)))
                          .Append("\" src=\"data:image/png;base64,").Append(Convert.ToBase64String(img.Png)).Append("\" />");
                        if (img.Caption is not null) sb.Append("<div class=\"imgcap\">").Append(E(img.Caption)).Append("</div>");
                        sb.Append("</td>");
                    }
                    sb.Append("</tr>");
                }
                sb.Append("</tbody></table></div><figcaption>").Append(E(g.Caption)).Append("</figcaption></figure>\n");
                break;
            default:
                throw new NotSupportedException($"Block type {block.GetType().Name} has no HTML form.");
        }
    }

    private static string Align(ColumnAlignment a) => a switch
    {
        ColumnAlignment.Right => "r",
        ColumnAlignment.Center => "c",
        _ => "l",
    };

    private const string Css = """

body{font-family:"DejaVu Sans","Liberation Sans",Arial,sans-serif;font-size:14px;color:#222b33;margin:0;background:#f4f6f8}
main{max-width:900px;margin:0 auto;padding:0 24px 40px;background:#fff}
.cover{background:#1f3a5f;color:#fff;padding:24px max(24px,calc(50% - 426px))}
.cover h1{margin:6px 0 0;font-size:28px}
.kicker{font-size:11px;font-weight:bold;color:#b5c7db;letter-spacing:.05em}
h2{color:#1f3a5f;border-bottom:2px solid #1f3a5f;padding-top:18px;margin-top:8px}
h3{color:#1f3a5f}
table{border-collapse:collapse;width:100%;margin:8px 0}
td,th{padding:4px 6px;border-bottom:1px solid #c8ced3;vertical-align:top;text-align:left}
table.kv th{width:28%}
table.data thead th{background:#e4e8ec;border-bottom:1.5px solid #6b757f}
table.data tbody tr:nth-child(even) td{background-color:#f6f7f9}
caption,.caption{font-weight:bold;text-align:left;margin:6px 0}
.r{text-align:right}.c{text-align:center}.l{text-align:left}
td{overflow-wrap:normal;word-break:normal}
td.r,td.c{white-space:nowrap}
table.kv td{overflow-wrap:anywhere}
.scroll{overflow-x:auto;max-width:100%;-webkit-overflow-scrolling:touch}
table.data{width:auto;min-width:100%}
figure.chart svg{max-width:100%;height:auto}
.prov{display:block;font-size:10px;font-weight:bold;text-align:center;margin-top:2px}
.provisional{color:#a04000}
@media (max-width:600px){main{padding:0 10px 30px}.verdict{flex-direction:column;gap:4px}table.kv th{width:auto}body{font-size:13px}}
.badge{display:inline-block;min-width:84px;text-align:center;color:#fff;font-weight:bold;font-size:11px;border-radius:8px;padding:2px 6px}
.verdict{display:flex;gap:12px;align-items:flex-start;padding:6px;margin:4px 0}
.finding{border-left:5px solid;padding:6px 10px;margin:10px 0}
.finding p{margin:4px 0}.rule{color:#6b757f;font-size:12px}
.note{padding:6px 10px;margin:10px 0;border-left:3px solid}
.note.info{background:#e8f1fb;border-color:#2e86c1}.note.warning{background:#fdf3e1;border-color:#e67e22}
figure{margin:12px 0}figcaption{color:#6b757f;font-size:12px}
table.images td,table.images th{border:none;text-align:center;vertical-align:middle}
table.images img{width:72px;height:72px;image-rendering:pixelated;border:1px solid #c8ced3}
.imgcap{font-size:10px;color:#6b757f}
svg text{font-family:inherit}
dl.refs dt{font-weight:bold;float:left;width:70px}dl.refs dd{margin-left:80px;margin-bottom:6px}
footer{text-align:center;color:#6b757f;font-size:12px;padding:12px}
ul.plain{list-style:none;padding-left:20px}
""";
}
