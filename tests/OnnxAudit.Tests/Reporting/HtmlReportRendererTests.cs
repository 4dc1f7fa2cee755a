using System.Text.RegularExpressions;
using System.Xml.Linq;
using OnnxAudit.Reporting;
using OnnxAudit.Reporting.Model;

namespace OnnxAudit.Tests.Reporting;

public sealed class HtmlReportRendererTests(RenderedSampleFixture f) : IClassFixture<RenderedSampleFixture>
{
    private static XDocument ParseXml(string html) =>
        XDocument.Parse(Regex.Replace(html, "^<!DOCTYPE html>", "", RegexOptions.IgnoreCase));

    [Fact]
    public void Html_IsWellFormedXml_WithSectionsVerdictsSvgAndDataUris()
    {
        var html = File.ReadAllText(f.Html);
        var doc = ParseXml(html);
        XNamespace x = "http://www.w3.org/1999/xhtml";
        XNamespace svg = "http://www.w3.org/2000/svg";
        var text = doc.Root!.Value;
        Assert.Contains(SampleReport.Title, text);
        foreach (var s in SampleReport.SectionTitles) Assert.Contains(s, text);
        foreach (var v in f.Report.ExecutiveSummary)
        {
            Assert.Contains(v.Threat, text);
            Assert.Contains(v.Severity.Label(), text);
        }
        var ids = doc.Descendants(x + "section").Select(s => (string?)s.Attribute("id")).ToList();
        foreach (var s in f.Report.Sections) Assert.Contains(s.Id, ids);
        Assert.Equal(2, doc.Descendants(svg + "svg").Count());
        var imgs = doc.Descendants(x + "img").Select(i => (string)i.Attribute("src")!).ToList();
        Assert.Equal(8, imgs.Count);
        Assert.All(imgs, src => Assert.StartsWith("data:image/png;base64,", src));
        // No external resources: self-contained.
        Assert.DoesNotMatch(@"<(link|script)\b", html);
    }

    [Fact]
    public void Html_EscapesAllText()
    {
        var evil = "<script>alert('x')</script> & \"q\"";
        var r = SampleReport.Create() with { Title = evil };
        r = r with { Sections = [new ReportSection("x", evil, [new ParagraphBlock(evil), new TableBlock(evil, [evil], [[evil]])])] };
        using var ms = new MemoryStream();
        new HtmlReportRenderer().Render(r, ms);
        var html = System.Text.Encoding.UTF8.GetString(ms.ToArray());
        Assert.DoesNotContain("<script>", html);
        var doc = ParseXml(html);
        Assert.Contains(evil, doc.Root!.Value);
    }
}
