using System.Text.RegularExpressions;
using OnnxAudit.Reporting.Model;

namespace OnnxAudit.Tests.Reporting;

public sealed partial class PdfReportRendererTests(RenderedSampleFixture f) : IClassFixture<RenderedSampleFixture>
{
    private static string Squash(string s) => Regex.Replace(s, @"\s+", " ");

    [Fact]
    public void Pdf_SampleReport_HasCoverTocSectionsAndBackMatterPages()
    {
        // cover + TOC + graph + federated (finding + 90-row table over ≥ 3 pages + chart) + rconv + split + methodology
        Assert.True(Poppler.PageCount(f.Pdf) >= 9, $"pages: {Poppler.PageCount(f.Pdf)}");
    }

    [Fact]
    public void Pdf_Text_ContainsTitleSectionsVerdictsAndTableCells()
    {
        var text = Squash(Poppler.Text(f.Pdf));
        Assert.Contains(SampleReport.Title, text);
        foreach (var s in SampleReport.SectionTitles) Assert.Contains(s, text);
        foreach (var v in f.Report.ExecutiveSummary)
        {
            Assert.Contains(v.Threat, text);
            Assert.Contains(v.Severity.Label(), text);
        }
        Assert.Contains("Methodology", text);
        Assert.Contains("Reproducibility", text);
        Assert.Contains("batch-000", text);
        Assert.Contains("batch-089", text);
        Assert.Contains("9f2c3b7d4e5a6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8", text.Replace(" ", ""));
        // Symbols from the font subset survive extraction.
        Assert.Contains("N_H ≥ 2", text);
        Assert.Contains("Gemm → Relu", text);
        Assert.Contains("F·K²", text);
    }

    [Fact]
    public void Pdf_EveryPage_HasFooterPageNOfM()
    {
        var n = Poppler.PageCount(f.Pdf);
        for (var i = 1; i <= n; i++)
            Assert.Contains($"page {i} of {n}", Poppler.PageText(f.Pdf, i));
    }

    [Fact]
    public void Pdf_LongTable_SpansPagesAndRepeatsHeader()
    {
        var n = Poppler.PageCount(f.Pdf);
        var pagesWithRows = Enumerable.Range(1, n).Where(i => Poppler.PageText(f.Pdf, i).Contains("batch-0", StringComparison.Ordinal)).ToList();
        Assert.True(pagesWithRows.Count >= 2, "the 90-row table should need several pages");
        Assert.Equal(Enumerable.Range(pagesWithRows[0], pagesWithRows.Count), pagesWithRows); // consecutive
        foreach (var p in pagesWithRows)
        {
            var lines = Poppler.PageText(f.Pdf, p).Split('\n');
            var header = Array.FindIndex(lines, l => Regex.IsMatch(l, @"Batch\s+ExANs\s+Boundary\s+Fraction"));
            var firstRow = Array.FindIndex(lines, l => l.Contains("batch-0", StringComparison.Ordinal));
            Assert.True(header >= 0 && header < firstRow, $"page {p}: header row missing or below the first data row");
        }
        var all = Poppler.Text(f.Pdf);
        for (var i = 0; i < SampleReport.LongTableRows; i++)
            Assert.Single(Regex.Matches(all, $@"\bbatch-{i:000}\b"));
    }

    [Fact]
    public void Pdf_ImageGrid_ImagesAreEmbedded()
    {
        var list = Poppler.Run("pdfimages", "-list", f.Pdf).Split('\n').Skip(2).Where(l => l.Trim().Length > 0).ToList();
        Assert.Equal(8, list.Count); // 2 rows × 4 columns
        Assert.Contains(list, l => Regex.IsMatch(l, @"\bimage\s+28\s+28\s+gray\b"));
        Assert.Contains(list, l => Regex.IsMatch(l, @"\bimage\s+20\s+28\s+gray\b"));
    }

    [Fact]
    public void Pdf_Toc_PageNumbersMatchWhereSectionsStart()
    {
        var toc = Poppler.PageText(f.Pdf, 2);
        Assert.Contains("Contents", toc);
        var entries = TocLine().Matches(toc).Select(m => (Number: m.Groups[1].Value, Title: m.Groups[2].Value.Trim(), Page: int.Parse(m.Groups[3].Value))).ToList();
        var expected = SampleReport.SectionTitles.Append("Methodology").Append("Reproducibility").ToList();
        Assert.Equal(expected, entries.Select(e => e.Title).ToList());
        Assert.Equal(entries.Select(e => e.Page).Order().ToList(), entries.Select(e => e.Page).ToList());
        foreach (var e in entries)
        {
            var heading = (e.Number.Length > 0 ? e.Number + " " : "") + e.Title;
            var on = Squash(Poppler.PageText(f.Pdf, e.Page));
            Assert.Contains(heading, on);
            if (e.Page - 1 == 2) continue; // the page before is the TOC itself
            var before = Squash(Poppler.PageText(f.Pdf, e.Page - 1));
            Assert.DoesNotContain(heading, before);
        }
        // Numbered sections start at the top of their page.
        foreach (var e in entries.Where(e => e.Number.Length > 0))
        {
            var first = Poppler.PageText(f.Pdf, e.Page).Split('\n').First(l => l.Trim().Length > 0);
            Assert.Equal(e.Number + " " + e.Title, Squash(first).Trim());
        }
    }

    [Fact]
    public void Pdf_Metadata_HasTitleAuthorSubjectCreatorKeywords()
    {
        var info = Poppler.Run("pdfinfo", f.Pdf);
        Assert.Matches(@"Title:\s+" + Regex.Escape(SampleReport.Title), info);
        Assert.Matches(@"Author:\s+OnnxAudit", info);
        Assert.Matches(@"Subject:\s+.*lenet5", info);
        Assert.Matches(@"Creator:\s+OnnxAudit \d+\.\d+", info);
        Assert.Matches(@"Keywords:\s+.*Federated gradient leakage", info);
        Assert.Matches(@"Page size:\s+595(\.\d+)? x 84[12](\.\d+)? pts \(A4\)", info);
    }

    [Fact]
    public void Pdf_Xmp_IdentifiesPdfA2bAndKeywordsCarryTheModelSha256()
    {
        var meta = Poppler.Run("pdfinfo", "-meta", f.Pdf);
        Assert.Matches(@"<pdfaid:part>2</pdfaid:part>", meta);
        Assert.Matches(@"<pdfaid:conformance>B</pdfaid:conformance>", meta);
        Assert.Contains(SampleReport.Title, meta);
        var info = Poppler.Run("pdfinfo", f.Pdf);
        Assert.Matches(@"Keywords:\s+.*SHA-256 " + f.Report.Model.Sha256, info);
    }

    [Fact]
    public void Pdf_Fonts_EveryFontIsEmbeddedSubsetWithUnicodeMap()
    {
        var rows = Poppler.Run("pdffonts", f.Pdf).Split('\n').Skip(2).Where(l => l.Trim().Length > 0).ToList();
        // DejaVu Sans regular and bold, each once (charts share the page fonts)
        Assert.True(rows.Count == 2, string.Join("\n", Enumerable.Range(1, Poppler.PageCount(f.Pdf))
            .Select(p => $"page {p}: " + string.Join(", ", Poppler.Run("pdffonts", "-f", $"{p}", "-l", $"{p}", f.Pdf).Split('\n').Skip(2).Where(l => l.Length > 0).Select(l => l.Split(' ')[0]))))
            + "\n" + Poppler.Run("pdffonts", f.Pdf));
        foreach (var row in rows)
        {
            Assert.Matches(@"^[A-Z]{6}\+DejaVuSans", row);
            Assert.Matches(@"\byes\s+yes\s+yes\s+\d+\s+0\s*$", row); // emb sub uni
        }
        // The font programs are subsets, not the 700 KB files: the whole sample PDF stays small.
        Assert.True(new FileInfo(f.Pdf).Length < 250_000, $"PDF is {new FileInfo(f.Pdf).Length} bytes");
    }

    [Fact]
    public void Pdf_ContentsEntries_LinkToNamedDestinationsOnTheirSectionPages()
    {
        var dests = Poppler.Run("pdfinfo", "-dests", f.Pdf);
        var pages = DestLine().Matches(dests).ToDictionary(m => m.Groups[2].Value, m => int.Parse(m.Groups[1].Value));
        var toc = TocLine().Matches(Poppler.PageText(f.Pdf, 2)).Select(m => int.Parse(m.Groups[3].Value)).ToList();
        Assert.Equal(toc.Count, pages.Keys.Count(k => k.StartsWith("entry-", StringComparison.Ordinal)));
        for (var i = 0; i < toc.Count; i++) Assert.Equal(toc[i], pages[$"entry-{i}"]);
        // Each contents line is a link annotation to its entry.
        var raw = System.Text.Encoding.Latin1.GetString(File.ReadAllBytes(f.Pdf));
        for (var i = 0; i < toc.Count; i++) Assert.Matches($@"/Subtype /Link[^>]*/Dest /entry-{i}\b", raw);
    }

    [Fact]
    public void Pdf_Outline_HasSummaryContentsAndEverySectionAtItsPage()
    {
        var xml = Poppler.Run("pdftohtml", "-xml", "-i", "-stdout", "-q", f.Pdf);
        var items = OutlineItem().Matches(xml).Select(m => (Page: int.Parse(m.Groups[1].Value), Title: System.Net.WebUtility.HtmlDecode(m.Groups[2].Value))).ToList();
        var titles = new[] { "Summary", "Contents" }
            .Concat(SampleReport.SectionTitles.Select((t, i) => $"{i + 1}. {t}")).Append("Methodology").Append("Reproducibility").ToList();
        Assert.Equal(titles, items.Select(i => i.Title).ToList());
        Assert.Equal(1, items[0].Page);
        Assert.Equal(2, items[1].Page);
        var toc = TocLine().Matches(Poppler.PageText(f.Pdf, 2)).Select(m => int.Parse(m.Groups[3].Value)).ToList();
        Assert.Equal(toc, items.Skip(2).Select(i => i.Page).ToList());
    }

    [GeneratedRegex(@"^\s*(\d+)\s+\[[^\]]*\]\s+""([^""]+)""", RegexOptions.Multiline)]
    private static partial Regex DestLine();

    [GeneratedRegex(@"<item page=""(\d+)"">([^<]*)</item>")]
    private static partial Regex OutlineItem();

    [GeneratedRegex(@"^\s*(\d+\.)?\s+(\S.*?)\s{2,}(\d+)\s*$", RegexOptions.Multiline)]
    private static partial Regex TocLine();
}
