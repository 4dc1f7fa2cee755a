using OnnxAudit.Reporting.Model;

namespace OnnxAudit.Reporting;

/// <summary>Writes report.pdf / report.html / report.json into a folder, all or nothing.</summary>
public static class ReportWriter
{
    /// <summary>
    /// Validates <paramref name="report"/>, renders each requested format to a temporary file inside
    /// <paramref name="outputDir"/> (created when missing), and only when every format rendered,
    /// renames them to report.pdf / report.html / report.json (replacing older ones). On any failure
    /// no temporary or partial file remains, and the exception propagates.
    /// </summary>
    /// <returns>Full paths of the written files, in the order pdf, html, json.</returns>
    public static IReadOnlyList<string> Write(AuditReport report, string outputDir, ReportFormats formats)
    {
        var renderers = new List<IReportRenderer>();
        if (formats.HasFlag(ReportFormats.Pdf)) renderers.Add(new PdfReportRenderer());
        if (formats.HasFlag(ReportFormats.Html)) renderers.Add(new HtmlReportRenderer());
        if (formats.HasFlag(ReportFormats.Json)) renderers.Add(new JsonReportRenderer());
        if (formats.HasFlag(ReportFormats.Sarif)) renderers.Add(new SarifReportRenderer());
        return Write(report, outputDir, renderers);
    }

    /// <summary>Same as the public overload with explicit renderers (tests inject failing ones).</summary>
    internal static IReadOnlyList<string> Write(AuditReport report, string outputDir, IReadOnlyList<IReportRenderer> renderers)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentException.ThrowIfNullOrEmpty(outputDir);
        if (renderers.Count == 0) throw new ArgumentException("No report format requested: choose at least one of pdf, html, json.", nameof(renderers));
        report.Validate();

        // why: "nothing is half-written" (DESIGN.md conventions) — all formats or none.
        return Common.AtomicFile.WriteAll(outputDir, [.. renderers.Select(r => (r.FileName, (Action<Stream>)(s => r.Render(report, s))))]);
    }
}
