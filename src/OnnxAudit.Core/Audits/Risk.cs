namespace OnnxAudit.Audits;

/// <summary>How serious a leak is, as an auditor's verdict states it. Ordered None &lt; Low &lt; Medium &lt; High;
/// <see cref="NotAssessed"/> is outside the order.</summary>
public enum Risk
{
    /// <summary>Assessed; no risk found.</summary>
    None = 0,
    /// <summary>Low risk.</summary>
    Low = 1,
    /// <summary>Medium risk.</summary>
    Medium = 2,
    /// <summary>High risk.</summary>
    High = 3,
    /// <summary>Not assessed; the sentence says why.</summary>
    NotAssessed = 4,
}
