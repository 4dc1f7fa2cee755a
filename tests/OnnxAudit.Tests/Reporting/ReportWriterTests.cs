using OnnxAudit.Reporting;
using OnnxAudit.Reporting.Model;
using OnnxAudit.Tests.TestUtil;

namespace OnnxAudit.Tests.Reporting;

public sealed class ReportWriterTests
{
    private sealed class ThrowingRenderer(string name, int bytesBeforeThrow) : IReportRenderer
    {
        public string FileName => name;
        public void Render(AuditReport report, Stream output)
        {
            output.Write(new byte[bytesBeforeThrow]);
            throw new InvalidOperationException("renderer failed midway");
        }
    }

    [Fact]
    public void Write_AllFormats_CreatesDirectoryAndThreeFiles()
    {
        var dir = Path.Combine(RepoPaths.NewTempDir(), "nested", "out");
        var written = ReportWriter.Write(SampleReport.Create(), dir, ReportFormats.All);
        Assert.Equal(new string[] { "report.pdf", "report.html", "report.json" }, written.Select(p => Path.GetFileName(p)!).ToArray());
        Assert.Equal(new string[] { "report.html", "report.json", "report.pdf" }, Directory.GetFiles(dir).Select(p => Path.GetFileName(p)!).Order().ToArray());
        Assert.StartsWith("%PDF-", File.ReadAllText(Path.Combine(dir, "report.pdf"))[..5]);
    }

    [Fact]
    public void Write_OnlyJson_WritesOnlyJson()
    {
        var dir = RepoPaths.NewTempDir();
        ReportWriter.Write(SampleReport.Create(), dir, ReportFormats.Json);
        Assert.Equal(new string[] { "report.json" }, Directory.GetFiles(dir).Select(p => Path.GetFileName(p)!).ToArray());
    }

    [Fact]
    public void Write_RendererThrowsMidway_LeavesNoFiles()
    {
        var parent = RepoPaths.NewTempDir();
        var dir = Path.Combine(parent, "out");
        IReportRenderer[] renderers = [new JsonReportRenderer(), new HtmlReportRenderer(), new ThrowingRenderer("report.pdf", 1000)];
        var ex = Assert.Throws<InvalidOperationException>(() => ReportWriter.Write(SampleReport.Create(), dir, renderers));
        Assert.Equal("renderer failed midway", ex.Message);
        Assert.False(Directory.Exists(dir) && Directory.EnumerateFileSystemEntries(dir).Any(), "no file may remain");
    }

    [Fact]
    public void Write_RendererThrows_KeepsPreexistingFilesAndLeavesNoTemps()
    {
        var dir = RepoPaths.NewTempDir();
        File.WriteAllText(Path.Combine(dir, "keep.txt"), "x");
        IReportRenderer[] renderers = [new JsonReportRenderer(), new ThrowingRenderer("report.html", 10)];
        Assert.Throws<InvalidOperationException>(() => ReportWriter.Write(SampleReport.Create(), dir, renderers));
        Assert.Equal(new string[] { "keep.txt" }, Directory.GetFiles(dir).Select(p => Path.GetFileName(p)!).ToArray());
    }

    [Fact]
    public void Write_InvalidReport_ThrowsBeforeWritingAnything()
    {
        var dir = Path.Combine(RepoPaths.NewTempDir(), "out");
        var r = SampleReport.Create();
        r = r with { Sections = [.. r.Sections, r.Sections[0]] };
        var ex = Assert.Throws<ArgumentException>(() => ReportWriter.Write(r, dir, ReportFormats.All));
        Assert.Contains("'graph' appears twice", ex.Message);
        Assert.False(Directory.Exists(dir));
    }
}
