namespace OnnxAudit.Reporting.Model;

/// <summary>
/// How serious a threat or finding is. Ordered: <see cref="None"/> &lt; <see cref="Low"/> &lt;
/// <see cref="Medium"/> &lt; <see cref="High"/>; <see cref="NotAssessed"/> is outside that order
/// (the auditor did not run) and never counts as "at or above" a threshold.
/// </summary>
public enum Severity
{
    /// <summary>Assessed; no risk found.</summary>
    None = 0,
    /// <summary>Low risk.</summary>
    Low = 1,
    /// <summary>Medium risk.</summary>
    Medium = 2,
    /// <summary>High risk.</summary>
    High = 3,
    /// <summary>Not assessed (auditor skipped or not applicable); the evidence says why.</summary>
    NotAssessed = 4,
}
