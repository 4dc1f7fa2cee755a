namespace OnnxAudit.Reporting.Model;

/// <summary>Kind of a <see cref="ChartBlock"/>.</summary>
public enum ChartKind
{
    /// <summary>Lines through (x, y) points, with markers.</summary>
    Line,
    /// <summary>Grouped bars: one group per point index; the group label is the point's label (or its x).</summary>
    Bar,
}
