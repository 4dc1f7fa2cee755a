namespace OnnxAudit.Audits;

/// <summary>
/// An auditor's verdict on one threat: the risk, the rule (with its thresholds) that produced it, and one sentence of
/// evidence. The report's executive summary, its finding, the JSON and the exit code all read this one value.
/// Immutable.
/// </summary>
/// <param name="Risk">The risk.</param>
/// <param name="Rule">The rule, as stated in the report.</param>
/// <param name="Sentence">One sentence of evidence.</param>
public sealed record Verdict(Risk Risk, string Rule, string Sentence);
