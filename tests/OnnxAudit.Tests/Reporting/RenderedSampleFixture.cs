using OnnxAudit.Reporting;
using OnnxAudit.Reporting.Model;
using OnnxAudit.Tests.TestUtil;

namespace OnnxAudit.Tests.Reporting;

/// <summary>Renders the sample report once (all three formats) for the renderer tests.</summary>
public sealed class RenderedSampleFixture : IDisposable
{
    public RenderedSampleFixture()
    {
        Dir = RepoPaths.NewTempDir();
        Report = SampleReport.Create();
        ReportWriter.Write(Report, Dir, ReportFormats.All);
    }

    internal AuditReport Report { get; }
    public string Dir { get; }
    public string Pdf => Path.Combine(Dir, "report.pdf");
    public string Html => Path.Combine(Dir, "report.html");
    public string Json => Path.Combine(Dir, "report.json");

    public void Dispose()
    {
        try { Directory.Delete(Dir, recursive: true); } catch (IOException) { }
    }
}
