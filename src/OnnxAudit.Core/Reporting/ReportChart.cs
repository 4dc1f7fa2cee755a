using System.Globalization;
using System.Text.RegularExpressions;
using OnnxAudit.Reporting.Model;
using OnnxAudit.Reporting.Pdf;
using ScottPlot;
using SkiaSharp;

namespace OnnxAudit.Reporting;

/// <summary>
/// Draws a <see cref="ChartBlock"/> with ScottPlot: lines with markers (gaps at non-finite values) or grouped bars,
/// dashed threshold lines with their labels, a legend under the plot. X ticks sit where the data is: at every x of a
/// line chart with few distinct x (log axes included), with the points' labels under the numbers, and at every
/// category of a bar chart. One layout in points serves both outputs: vector drawing onto a PDF page canvas and SVG
/// for the HTML report. Thread-safe: a new plot per call, built and rendered under one process-wide lock.
/// </summary>
internal static partial class ReportChart
{
    /// <summary>Height of a chart in the PDF, in points.</summary>
    public const float PdfHeight = 240;

    /// <summary>SVG size (CSS pixels) is the PDF layout scaled by this factor.</summary>
    private const float SvgScale = 1.3f;
    private const int MaxDataTicks = 16;
    private const float LegendHeight = 14;
    private const string Family = "DejaVu Sans";

    private static readonly Lock Gate = new();
    // why: ScottPlot keeps font state in statics (caches, shared label styles); two plots built at once on different
    // threads were seen to swap fonts (a PDF chart drawn with another rendering's typeface), so plots are serialized.
    private static readonly Lock RenderGate = new();
    private static bool _fontsReady;

    /// <summary>Series colours by position (repeats after eight).</summary>
    public static readonly SKColor[] Palette =
    [
        new(0x1F, 0x77, 0xB4), new(0xFF, 0x7F, 0x0E), new(0x2C, 0xA0, 0x2C), new(0xD6, 0x27, 0x28),
        new(0x94, 0x67, 0xBD), new(0x8C, 0x56, 0x4B), new(0xE3, 0x77, 0xC2), new(0x7F, 0x7F, 0x7F),
    ];

    /// <summary>Draws the chart as vector graphics with its top-left corner at (<paramref name="x"/>, <paramref name="y"/>).</summary>
    /// <param name="canvas">Target canvas (a PDF page or its recording).</param>
    /// <param name="chart">The chart.</param>
    /// <param name="x">Left edge in points.</param>
    /// <param name="y">Top edge in points.</param>
    /// <param name="width">Width in points (height is <see cref="PdfHeight"/>).</param>
    /// <param name="family">Font family for all chart text (e.g. <see cref="PdfFonts.Family"/>).</param>
    public static void Draw(SKCanvas canvas, ChartBlock chart, float x, float y, float width, string family = Family)
    {
        lock (RenderGate) DrawLocked(canvas, chart, x, y, width, family);
    }

    private static void DrawLocked(SKCanvas canvas, ChartBlock chart, float x, float y, float width, string family)
    {
        using var plot = Build(chart, family);
        var count = canvas.Save();
        canvas.Translate(x, y);
        canvas.ClipRect(new SKRect(0, 0, width, PdfHeight));
        plot.Render(canvas, (int)Math.Round(width), (int)PdfHeight);
        canvas.RestoreToCount(count);
    }

    /// <summary>An &lt;svg&gt; element (no XML declaration); <paramref name="index"/> makes its ids unique within the page.</summary>
    public static string Svg(ChartBlock chart, int index, float width = PdfTheme.ContentWidth)
    {
        lock (RenderGate) return SvgLocked(chart, index, width);
    }

    private static string SvgLocked(ChartBlock chart, int index, float width)
    {
        using var plot = Build(chart);
        plot.ScaleFactor = SvgScale;
        var (w, h) = ((int)Math.Round(width * SvgScale), (int)Math.Round(PdfHeight * SvgScale));
        var svg = plot.GetSvgXml(w, h);
        var start = svg.IndexOf("<svg", StringComparison.Ordinal);
        if (start > 0) svg = svg[start..];
        // why: Skia numbers clip paths from 1 in every SVG; two charts on one page would share ids.
        var prefix = string.Create(CultureInfo.InvariantCulture, $"c{index}-");
        svg = SvgId().Replace(svg, m => m.Groups[1].Value + prefix + m.Groups[2].Value);
        // viewBox lets the page scale the chart down on narrow screens.
        svg = svg.Replace("<svg ", string.Create(CultureInfo.InvariantCulture,
            $"<svg viewBox=\"0 0 {w} {h}\" style=\"max-width:100%;height:auto\" role=\"img\" aria-label=\"{HtmlReportRenderer.E(chart.Title)}\" "), StringComparison.Ordinal);
        return svg;
    }

    [GeneratedRegex("(id=\"|url\\(#|href=\"#)([^\")]+)")]
    private static partial Regex SvgId();

    /// <summary>The ScottPlot figure of <paramref name="c"/> laid out in points (caller disposes).</summary>
    internal static Plot Build(ChartBlock c, string family = Family)
    {
        EnsureFonts();
        var plot = new Plot();
        plot.RenderManager.ClearCanvasBeforeEachRender = false;
        Style(plot, c, family);
        if (c.Kind == ChartKind.Line) AddLines(plot, c);
        else AddBars(plot, c, family);

        var (yMin, yMax, _) = ChartScale.YRange(c);
        var xRight = XRight(c);
        foreach (var th in c.Thresholds)
        {
            if (!double.IsFinite(th.Y) || th.Y < yMin || th.Y > yMax) continue;
            var color = ToColor(th.Severity is { } s ? s.Color().ToSk() : PdfTheme.Muted);
            var line = plot.Add.HorizontalLine(th.Y, 1, color, LinePattern.Dashed);
            line.LegendText = "";
            var label = plot.Add.Text(th.Label, xRight, th.Y);
            label.LabelFontSize = 7;
            label.LabelFontName = family;
            label.LabelFontColor = color;
            label.LabelAlignment = Alignment.LowerRight;
            label.LabelOffsetY = -1;
        }
        plot.Axes.SetLimitsY(yMin, yMax);
        var tickLines = c.Kind == ChartKind.Line && c.Series.SelectMany(s => s.Points).Any(p => p.Label is not null) ? 2 : 1;
        // why: a fixed frame (points) keeps every chart's plot area the same size in the PDF and the HTML, whatever
        // the tick labels; the legend row sits under the x axis title.
        plot.Layout.Fixed(new PixelPadding(left: 52, right: 14, bottom: 32 + 9 * tickLines + LegendHeight, top: 32));
        var legend = plot.ShowLegend(Edge.Bottom);
        legend.Padding = new PixelPadding(0);
        plot.Legend.FontSize = 7.5f;
        plot.Legend.FontName = family;
        // why: otherwise the legend picks "the best installed font" for its text on each render, a second font.
        plot.Legend.SetBestFontOnEachRender = false;
        plot.Legend.OutlineWidth = 0;
        plot.Legend.ShadowOffset = new PixelOffset(0, 0);
        plot.Legend.ShadowColor = Colors.Transparent;
        plot.Legend.BackgroundColor = Colors.Transparent;
        plot.Legend.Padding = new PixelPadding(2);
        plot.Legend.Margin = new PixelPadding(0);
        return plot;
    }

    private static void Style(Plot plot, ChartBlock c, string family)
    {
        plot.Font.Set(family);
        plot.Title(c.Title, 10);
        // why: setting Bold does not change a label's already resolved typeface; give it the bold one.
        plot.Axes.Title.Label.Bold = true;
        plot.Axes.Title.Label.Font = Fonts.GetTypeface(family, bold: true, italic: false);
        plot.Axes.Title.Label.ForeColor = ToColor(PdfTheme.Text);
        plot.XLabel(c.XAxisTitle, 8.5f);
        plot.YLabel(c.YAxisTitle, 8.5f);
        foreach (var axis in new IAxis[] { plot.Axes.Bottom, plot.Axes.Left })
        {
            axis.Label.Bold = false;
            axis.Label.ForeColor = ToColor(PdfTheme.Text);
            axis.TickLabelStyle.FontSize = 7.5f;
            axis.TickLabelStyle.ForeColor = ToColor(PdfTheme.Muted);
            axis.FrameLineStyle.Color = ToColor(PdfTheme.Muted);
            axis.MajorTickStyle.Color = ToColor(PdfTheme.Muted);
            axis.MinorTickStyle.Length = 0;
        }
        plot.Axes.Right.FrameLineStyle.Width = 0;
        plot.Axes.Top.FrameLineStyle.Width = 0;
        plot.Grid.MajorLineColor = ToColor(new SKColor(0xE3, 0xE6, 0xE9));
    }

    private static void AddLines(Plot plot, ChartBlock c)
    {
        double Pos(double x) => c.LogX ? Math.Log10(x) : x;
        for (var si = 0; si < c.Series.Count; si++)
        {
            var color = ToColor(Palette[si % Palette.Length]);
            var run = new List<ChartPoint>();
            var first = true;
            void Flush()
            {
                if (run.Count == 0) return;
                var sc = plot.Add.Scatter(run.Select(p => Pos(p.X)).ToArray(), run.Select(p => p.Y).ToArray(), color);
                sc.LineWidth = 1.6f;
                sc.MarkerSize = 5;
                sc.MarkerShape = MarkerShape.FilledCircle;
                sc.LegendText = first ? c.Series[si].Name : "";
                first = false;
                run.Clear();
            }
            foreach (var p in c.Series[si].Points)
            {
                if (!double.IsFinite(p.X) || !double.IsFinite(p.Y) || c.LogX && p.X <= 0) { Flush(); continue; }
                run.Add(p);
            }
            Flush();
        }

        var xs = c.Series.SelectMany(s => s.Points).Where(p => double.IsFinite(p.X) && (!c.LogX || p.X > 0))
            .GroupBy(p => p.X).OrderBy(g => g.Key).ToList();
        if (xs.Count == 0) return;
        var integers = xs.All(g => g.Key == Math.Round(g.Key));
        var labelled = xs.Any(g => g.Any(p => p.Label is not null));
        if (xs.Count <= MaxDataTicks && (integers || labelled || c.LogX))
        {
            // Ticks exactly at the data's x values (batch sizes, split depths), with each point's label under it.
            var ticks = new ScottPlot.TickGenerators.NumericManual();
            foreach (var g in xs)
            {
                var label = ChartScale.Format(g.Key);
                if (g.FirstOrDefault(p => p.Label is not null)?.Label is { } name) label += "\n" + name;
                ticks.AddMajor(Pos(g.Key), label);
            }
            plot.Axes.Bottom.TickGenerator = ticks;
        }
        else if (c.LogX)
        {
            var decades = ChartScale.LogDecades(xs[0].Key, xs[^1].Key).Ticks;
            plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(decades, [.. decades.Select(d => ChartScale.Format(Math.Pow(10, d)))]);
        }
        else
        {
            plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { LabelFormatter = ChartScale.Format };
        }
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { LabelFormatter = ChartScale.Format };
    }

    private static void AddBars(Plot plot, ChartBlock c, string family)
    {
        var cats = ChartScale.Categories(c);
        var n = c.Series.Count;
        var size = 0.8 / n;
        for (var si = 0; si < n; si++)
        {
            var color = ToColor(Palette[si % Palette.Length]);
            var pts = c.Series[si].Points;
            var bars = Enumerable.Range(0, pts.Count).Where(i => double.IsFinite(pts[i].Y)).Select(i => new Bar
            {
                Position = i - 0.4 + size * (si + 0.5),
                Value = pts[i].Y,
                Size = size * 0.95,
                FillColor = color,
                LineWidth = 0,
                Label = ChartScale.Format(pts[i].Y),
            }).ToArray();
            var bp = plot.Add.Bars(bars);
            bp.LegendText = c.Series[si].Name;
            bp.ValueLabelStyle.FontSize = 6.5f;
            bp.ValueLabelStyle.FontName = family;
            bp.ValueLabelStyle.ForeColor = ToColor(PdfTheme.Muted);
        }
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
            [.. Enumerable.Range(0, cats.Length).Select(i => (double)i)], cats);
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { LabelFormatter = ChartScale.Format };
        plot.Axes.SetLimitsX(-0.6, cats.Length - 0.4);
    }

    /// <summary>X of the right end of the data (threshold labels end there).</summary>
    private static double XRight(ChartBlock c)
    {
        if (c.Kind == ChartKind.Bar) return ChartScale.Categories(c).Length - 0.45;
        var xs = c.Series.SelectMany(s => s.Points).Select(p => p.X).Where(x => double.IsFinite(x) && (!c.LogX || x > 0)).ToList();
        if (xs.Count == 0) return 1;
        return c.LogX ? Math.Log10(xs.Max()) : xs.Max();
    }

    private static Color ToColor(SKColor c) => new(c.Red, c.Green, c.Blue, c.Alpha);

    private static void EnsureFonts()
    {
        lock (Gate)
        {
            if (_fontsReady) return;
            // why: the NoDependencies native library has no fontconfig, so ScottPlot's family lookup finds nothing;
            // every family it asks for resolves to the report's DejaVu Sans (system file or embedded subset).
            Fonts.FontResolvers.Insert(0, new ChartFontResolver());
            Fonts.Default = Family;
            _fontsReady = true;
        }
    }

    private sealed class ChartFontResolver : IFontResolver
    {
        // why: a PDF rendering registers its subset typefaces under a family of its own, so its charts embed no
        // second copy of the font; any other family is the report's DejaVu Sans.
        public SKTypeface CreateTypeface(string fontName, bool bold, bool italic) =>
            PdfFonts.Lookup(fontName, bold) ?? ReportFontResolver.Shared.Typeface(bold);

        public SKTypeface CreateTypeface(string fontName, FontWeight weight, FontSlant slant, FontSpacing width) =>
            CreateTypeface(fontName, (int)weight >= (int)FontWeight.SemiBold, false);
    }
}
