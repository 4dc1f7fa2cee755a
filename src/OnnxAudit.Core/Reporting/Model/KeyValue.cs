namespace OnnxAudit.Reporting.Model;

/// <summary>One labelled value, already formatted as text by the producer.</summary>
/// <param name="Key">Label, e.g. "SHA-256".</param>
/// <param name="Value">Formatted value.</param>
public sealed record KeyValue(string Key, string Value);
