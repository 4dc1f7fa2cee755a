namespace OnnxAudit.Reporting.Model;

/// <summary>A named data series; renderers assign its colour from a fixed palette by position.</summary>
/// <param name="Name">Legend text.</param>
/// <param name="Points">Points in x order.</param>
public sealed record ChartSeries(string Name, IReadOnlyList<ChartPoint> Points);
