using System.Globalization;
using System.Text;
using OnnxAudit.Reporting.Model;

namespace OnnxAudit.Reporting;

/// <summary>Inline SVG form of a <see cref="ChartBlock"/> (same scales as the PDF chart).</summary>
internal static class SvgChart
{
    private const double W = 640, PlotH = 260, Left = 64, Right = 16, Top = 30;

    private static readonly string[] Palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"];

    private static string N(double v) => v.ToString("0.##", CultureInfo.InvariantCulture);
    private static string E(string s) => HtmlReportRenderer.E(s);

    /// <summary>An &lt;svg&gt; element; <paramref name="index"/> makes clip-path ids unique within the page.</summary>
    public static string Render(ChartBlock c, int index)
    {
        var legendRows = (int)Math.Ceiling(c.Series.Count / 4.0);
        var h = Top + PlotH + 44 + legendRows * 18;
        var pw = W - Left - Right;
        var (yMin, yMax, yTicks) = ChartScale.YRange(c);
        double Yp(double v) => Top + PlotH - (v - yMin) / (yMax - yMin) * PlotH;
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {N(W)} {N(h)}\" width=\"{N(W)}\" height=\"{N(h)}\" role=\"img\" aria-label=\"{E(c.Title)}\">");
        sb.Append(CultureInfo.InvariantCulture, $"<defs><clipPath id=\"plot{index}\"><rect x=\"{N(Left - 3)}\" y=\"{N(Top - 3)}\" width=\"{N(pw + 6)}\" height=\"{N(PlotH + 6)}\" /></clipPath></defs>");
        sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{N(W / 2)}\" y=\"18\" text-anchor=\"middle\" font-weight=\"bold\" font-size=\"13\">{E(c.Title)}</text>");
        foreach (var t in yTicks)
        {
            var y = Yp(t);
            sb.Append(CultureInfo.InvariantCulture, $"<line x1=\"{N(Left)}\" x2=\"{N(Left + pw)}\" y1=\"{N(y)}\" y2=\"{N(y)}\" stroke=\"#e3e6e9\" />");
            sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{N(Left - 6)}\" y=\"{N(y + 4)}\" text-anchor=\"end\" font-size=\"10\" fill=\"#6b757f\">{E(ChartScale.Format(t))}</text>");
        }
        if (c.Kind == ChartKind.Line)
        {
            var (xMin, xMax, xTicks) = ChartScale.XRange(c);
            double Xp(double v) => Left + ((c.LogX ? Math.Log10(v) : v) - xMin) / (xMax - xMin) * pw;
            foreach (var t in xTicks)
            {
                var x = Left + (t - xMin) / (xMax - xMin) * pw;
                sb.Append(CultureInfo.InvariantCulture, $"<line x1=\"{N(x)}\" x2=\"{N(x)}\" y1=\"{N(Top)}\" y2=\"{N(Top + PlotH)}\" stroke=\"#e3e6e9\" />");
                sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{N(x)}\" y=\"{N(Top + PlotH + 14)}\" text-anchor=\"middle\" font-size=\"10\" fill=\"#6b757f\">{E(ChartScale.Format(c.LogX ? Math.Pow(10, t) : t))}</text>");
            }
            sb.Append(CultureInfo.InvariantCulture, $"<g clip-path=\"url(#plot{index})\">");
            for (var si = 0; si < c.Series.Count; si++)
            {
                var col = Palette[si % Palette.Length];
                var run = new List<string>();
                void Flush()
                {
                    if (run.Count >= 2) sb.Append(CultureInfo.InvariantCulture, $"<polyline fill=\"none\" stroke=\"{col}\" stroke-width=\"2\" points=\"{string.Join(' ', run)}\" />");
                    run.Clear();
                }
                foreach (var p in c.Series[si].Points)
                {
                    if (!double.IsFinite(p.X) || !double.IsFinite(p.Y) || c.LogX && p.X <= 0) { Flush(); continue; }
                    var (x, y) = (Xp(p.X), Yp(p.Y));
                    run.Add(N(x) + "," + N(y));
                    sb.Append(CultureInfo.InvariantCulture, $"<circle cx=\"{N(x)}\" cy=\"{N(y)}\" r=\"2.5\" fill=\"{col}\" />");
                }
                Flush();
            }
            sb.Append("</g>");
        }
        else
        {
            var cats = ChartScale.Categories(c);
            var groupW = pw / Math.Max(1, cats.Length);
            var barW = groupW * 0.8 / c.Series.Count;
            var baseY = Yp(Math.Max(0, yMin));
            sb.Append(CultureInfo.InvariantCulture, $"<g clip-path=\"url(#plot{index})\">");
            for (var si = 0; si < c.Series.Count; si++)
                for (var i = 0; i < c.Series[si].Points.Count; i++)
                {
                    var p = c.Series[si].Points[i];
                    if (!double.IsFinite(p.Y)) continue;
                    var top = Yp(p.Y);
                    sb.Append(CultureInfo.InvariantCulture, $"<rect x=\"{N(Left + i * groupW + groupW * 0.1 + si * barW)}\" y=\"{N(Math.Min(top, baseY))}\" width=\"{N(barW)}\" height=\"{N(Math.Abs(baseY - top))}\" fill=\"{Palette[si % Palette.Length]}\"><title>{E(c.Series[si].Name + ": " + ChartScale.Format(p.Y))}</title></rect>");
                }
            sb.Append("</g>");
            for (var i = 0; i < cats.Length; i++)
                sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{N(Left + (i + 0.5) * groupW)}\" y=\"{N(Top + PlotH + 14)}\" text-anchor=\"middle\" font-size=\"10\" fill=\"#6b757f\">{E(cats[i])}</text>");
        }
        foreach (var th in c.Thresholds)
        {
            if (!double.IsFinite(th.Y) || th.Y < yMin || th.Y > yMax) continue;
            var col = th.Severity is { } s ? s.Color().Hex : "#6b757f";
            var y = Yp(th.Y);
            sb.Append(CultureInfo.InvariantCulture, $"<line x1=\"{N(Left)}\" x2=\"{N(Left + pw)}\" y1=\"{N(y)}\" y2=\"{N(y)}\" stroke=\"{col}\" stroke-dasharray=\"5 3\" />");
            sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{N(Left + pw - 2)}\" y=\"{N(y - 3)}\" text-anchor=\"end\" font-size=\"9\" fill=\"{col}\">{E(th.Label)}</text>");
        }
        sb.Append(CultureInfo.InvariantCulture, $"<line x1=\"{N(Left)}\" x2=\"{N(Left)}\" y1=\"{N(Top)}\" y2=\"{N(Top + PlotH)}\" stroke=\"#6b757f\" />");
        sb.Append(CultureInfo.InvariantCulture, $"<line x1=\"{N(Left)}\" x2=\"{N(Left + pw)}\" y1=\"{N(Top + PlotH)}\" y2=\"{N(Top + PlotH)}\" stroke=\"#6b757f\" />");
        sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{N(Left + pw / 2)}\" y=\"{N(Top + PlotH + 32)}\" text-anchor=\"middle\" font-size=\"11\">{E(c.XAxisTitle)}</text>");
        sb.Append(CultureInfo.InvariantCulture, $"<text transform=\"translate(14 {N(Top + PlotH / 2)}) rotate(-90)\" text-anchor=\"middle\" font-size=\"11\">{E(c.YAxisTitle)}</text>");
        for (var si = 0; si < c.Series.Count; si++)
        {
            var x = Left + si % 4 * (pw / 4);
            var y = Top + PlotH + 50 + si / 4 * 18;
            sb.Append(CultureInfo.InvariantCulture, $"<rect x=\"{N(x)}\" y=\"{N(y - 9)}\" width=\"12\" height=\"10\" fill=\"{Palette[si % Palette.Length]}\" />");
            sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{N(x + 16)}\" y=\"{N(y)}\" font-size=\"11\">{E(c.Series[si].Name)}</text>");
        }
        sb.Append("</svg>");
        return sb.ToString();
    }
}
