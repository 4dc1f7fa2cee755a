namespace OnnxAudit.Reporting.Model;

/// <summary>
/// What is needed to rerun the audit and obtain the same numbers: tool version, ONNX Runtime version,
/// seeds, dataset hash, command line. Must not contain timestamps or durations (those go in
/// <see cref="ReportTiming"/>), because this block takes part in determinism comparisons.
/// </summary>
/// <param name="Items">Entries in display order.</param>
public sealed record Reproducibility(IReadOnlyList<KeyValue> Items);
