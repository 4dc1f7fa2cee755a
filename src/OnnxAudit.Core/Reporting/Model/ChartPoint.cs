namespace OnnxAudit.Reporting.Model;

/// <summary>A data point. Non-finite y values are drawn as gaps and written as null in JSON.</summary>
/// <param name="X">X value (line charts; must be &gt; 0 with a log x axis).</param>
/// <param name="Y">Y value.</param>
/// <param name="Label">Optional label (bar charts: the category name).</param>
public sealed record ChartPoint(double X, double Y, string? Label = null);
