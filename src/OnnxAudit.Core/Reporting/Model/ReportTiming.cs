namespace OnnxAudit.Reporting.Model;

/// <summary>
/// Timestamps and durations. Kept apart from everything else: it is the only part of a report that
/// differs between two runs with the same inputs, and is excluded from determinism comparisons
/// (JSON: the top-level <c>timing</c> object).
/// </summary>
/// <param name="Started">When the audit started.</param>
/// <param name="Finished">When it finished.</param>
/// <param name="Stages">Per-stage durations.</param>
public sealed record ReportTiming(DateTimeOffset Started, DateTimeOffset Finished, IReadOnlyList<TimingEntry> Stages)
{
    /// <summary>Finished − Started.</summary>
    public TimeSpan Total => Finished - Started;
}
