using System.Text.RegularExpressions;
using System.Xml.Linq;
using OnnxAudit.Reporting;
using OnnxAudit.Reporting.Model;
using OnnxAudit.Tests.TestUtil;
using SkiaSharp;

namespace OnnxAudit.Tests.Reporting;

/// <summary>
/// Every chart path through ScottPlot, as SVG and as vector PDF. why: ScottPlot 5.1.59 is built against SkiaSharp
/// 3.119 and runs here on 4.155; a binary break would only show at run time, in the path that hits it.
/// </summary>
public sealed class ReportChartTests
{
    public static TheoryData<string> Cases => [.. Charts.Keys];

    private static readonly Dictionary<string, ChartBlock> Charts = new()
    {
        ["line-log-data-ticks"] = new("Exclusivity states vs batch size", ChartKind.Line, "batch size M", "proportion of batches",
            [new ChartSeries("insecure", [new(1, 1), new(2, 0.9), new(4, 0), new(8, 0)]), new ChartSeries("secure", [new(1, 0), new(2, 0.1), new(4, double.NaN), new(8, 1)])],
            [new ThresholdLine(0.05, "5% insecure", Severity.High)], LogX: true, YMin: 0, YMax: 1),
        ["line-log-decades"] = new("Many batch sizes", ChartKind.Line, "batch size M", "proportion",
            [new ChartSeries("insecure", [.. Enumerable.Range(0, 30).Select(i => new ChartPoint(Math.Pow(1.4, i), i / 30.0))])], [], LogX: true),
        ["line-labelled-points"] = new("PSNR against split depth", ChartKind.Line, "split depth (position of the split point)", "mean PSNR (dB)",
            [new ChartSeries("white-box", [new(1, 36.7, "conv1"), new(4, 16.5, "conv2"), new(8, 8.0, "fc1")]), new ChartSeries("black-box", [new(1, 20.9, "conv1"), new(8, 15.9, "fc1")])],
            [new ThresholdLine(20, "unsafe ≥ 20 dB", Severity.Medium), new ThresholdLine(500, "off the chart")]),
        ["line-automatic-ticks"] = new("Loss per iteration", ChartKind.Line, "iteration", "loss",
            [new ChartSeries("loss", [.. Enumerable.Range(0, 40).Select(i => new ChartPoint(i * 0.37, Math.Exp(-i / 9.0) - 0.2))])], []),
        ["bar-grouped"] = new("Gradient constraints per channel", ChartKind.Bar, "Layer", "Count",
            [new ChartSeries("F·K²", [new(1, 300, "conv1"), new(2, 400, "conv2"), new(3, double.NaN, "conv3")]), new ChartSeries("H·W", [new(1, 1024, "conv1"), new(2, 256, "conv2"), new(3, 64, "conv3")])],
            [new ThresholdLine(512, "half", null)]),
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Svg_EveryChartPath_IsOneWellFormedSvgWithTitleLegendAndTicks(string name)
    {
        var chart = Charts[name];
        var svg = ReportChart.Svg(chart, 3);
        var doc = XDocument.Parse(svg);
        XNamespace ns = "http://www.w3.org/2000/svg";
        Assert.Equal(ns + "svg", doc.Root!.Name);
        Assert.Equal(chart.Title, (string?)doc.Root.Attribute("aria-label"));
        Assert.NotNull(doc.Root.Attribute("viewBox"));
        var text = string.Join("\n", doc.Descendants(ns + "text").Select(t => t.Value.Trim()));
        Assert.Contains(chart.Title, text);
        Assert.Contains(chart.XAxisTitle, text);
        foreach (var s in chart.Series) Assert.Contains(s.Name, text);
        // ids are prefixed with the chart index, so two charts on one page never share a clip path
        Assert.All(doc.Descendants().Attributes("id"), a => Assert.StartsWith("c3-", a.Value));
        if (name == "bar-grouped") foreach (var cat in new[] { "conv1", "conv2", "conv3", "1024" }) Assert.Contains(cat, text);
        if (name == "line-labelled-points") foreach (var l in new[] { "conv1", "conv2", "fc1", "unsafe ≥ 20 dB" }) Assert.Contains(l, text);
        if (name == "line-log-data-ticks") foreach (var t in new[] { "1", "2", "4", "8", "5% insecure" }) Assert.Contains(t, text.Split('\n'));
        if (name == "line-log-decades") Assert.Contains("10", text.Split('\n'));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Pdf_EveryChartPath_DrawsVectorTextOnThePageCanvas(string name)
    {
        var chart = Charts[name];
        var pdf = Path.Combine(RepoPaths.NewTempDir(), name + ".pdf");
        using (var stream = File.Create(pdf))
        using (var doc = SKDocument.CreatePdf(stream)!)
        {
            var canvas = doc.BeginPage(595, 842);
            ReportChart.Draw(canvas, chart, 56, 62, 483);
            doc.EndPage();
            doc.Close();
        }
        var text = Regex.Replace(Poppler.Text(pdf), @"\s+", " ");
        Assert.Contains(chart.Title, text);
        Assert.Contains(chart.YAxisTitle, text);
        foreach (var s in chart.Series) Assert.Contains(s.Name, text);
        // Vector drawing: no raster image of the chart on the page.
        Assert.Equal(2, Poppler.Run("pdfimages", "-list", pdf).Split('\n').Count(l => l.Trim().Length > 0));
    }
}
