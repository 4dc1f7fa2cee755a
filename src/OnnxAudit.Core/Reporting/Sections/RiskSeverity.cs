using OnnxAudit.Audits;
using OnnxAudit.Reporting.Model;

namespace OnnxAudit.Reporting.Sections;

/// <summary>Maps an auditor's <see cref="Risk"/> to the report's <see cref="Severity"/> (same order, same names).</summary>
public static class RiskSeverity
{
    /// <summary>The severity shown for <paramref name="risk"/>.</summary>
    public static Severity ToSeverity(this Risk risk) => risk switch
    {
        Risk.None => Severity.None,
        Risk.Low => Severity.Low,
        Risk.Medium => Severity.Medium,
        Risk.High => Severity.High,
        _ => Severity.NotAssessed,
    };
}
