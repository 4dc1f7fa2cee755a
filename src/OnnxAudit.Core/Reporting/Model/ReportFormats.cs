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
    /// <summary>report.sarif (SARIF 2.1.0, for code-scanning dashboards; not part of the default set).</summary>
    Sarif = 8,
    /// <summary>The default three (PDF, HTML, JSON).</summary>
    All = Pdf | Html | Json,
}
