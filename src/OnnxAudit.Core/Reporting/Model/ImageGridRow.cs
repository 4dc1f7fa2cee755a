namespace OnnxAudit.Reporting.Model;

/// <summary>One row of an image grid, e.g. one sample: original, then reconstructions.</summary>
/// <param name="Label">Row label (left of the row).</param>
/// <param name="Images">Images, one per grid column.</param>
public sealed record ImageGridRow(string Label, IReadOnlyList<ReportImage> Images);
