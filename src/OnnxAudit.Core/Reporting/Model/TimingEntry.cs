namespace OnnxAudit.Reporting.Model;

/// <summary>Wall-clock duration of one stage.</summary>
/// <param name="Stage">Stage name.</param>
/// <param name="Duration">Elapsed time.</param>
public sealed record TimingEntry(string Stage, TimeSpan Duration);
