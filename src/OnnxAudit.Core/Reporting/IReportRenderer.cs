using OnnxAudit.Reporting.Model;

namespace OnnxAudit.Reporting;

/// <summary>Turns an <see cref="AuditReport"/> into one file format. Implementations are stateless and thread-safe.</summary>
internal interface IReportRenderer
{
    /// <summary>File name written by <see cref="ReportWriter"/>, e.g. "report.pdf".</summary>
    string FileName { get; }

    /// <summary>Writes the whole document to <paramref name="output"/> (not closed).</summary>
    void Render(AuditReport report, Stream output);
}
