namespace OnnxAudit.Reporting.Model;

/// <summary>Which files <see cref="OnnxAudit.Reporting.ReportWriter"/> writes.</summary>
[Flags]
public enum ReportFormats
{
    /// <summary>Nothing.</summary>
    None = 0,
    /// <summary>report.pdf</summary>
    Pdf = 1,
    /// <summary>report.html</summary>
    Html = 2,
    /// <summary>report.json</summary>
    Json = 4,
    /// <summary>All three.</summary>
    All = Pdf | Html | Json,
}
