namespace OnnxAudit.Reporting.Model;

/// <summary>A vector chart (line or grouped bar).</summary>
/// <param name="Title">Chart title.</param>
/// <param name="Kind">Line or bar.</param>
/// <param name="XAxisTitle">X axis title.</param>
/// <param name="YAxisTitle">Y axis title.</param>
/// <param name="Series">Data series (at least one).</param>
/// <param name="Thresholds">Horizontal reference lines.</param>
/// <param name="LogX">Logarithmic x axis (line charts only; every x must be &gt; 0).</param>
/// <param name="YMin">Fixed lower y limit, or null to fit the data (bar charts include 0).</param>
/// <param name="YMax">Fixed upper y limit, or null to fit the data.</param>
public sealed record ChartBlock(
    string Title,
    ChartKind Kind,
    string XAxisTitle,
    string YAxisTitle,
    IReadOnlyList<ChartSeries> Series,
    IReadOnlyList<ThresholdLine> Thresholds,
    bool LogX = false,
    double? YMin = null,
    double? YMax = null) : ReportBlock
{
    /// <inheritdoc/>
    public override string TypeName => "chart";

    /// <inheritdoc/>
    public override void Validate(string sectionId)
    {
        if (Series.Count == 0)
            throw new ArgumentException($"Chart '{Title}' in section '{sectionId}' has no series.");
        if (LogX && Kind != ChartKind.Line)
            throw new ArgumentException($"Chart '{Title}' in section '{sectionId}': a log x axis needs a line chart.");
        if (LogX && Series.SelectMany(s => s.Points).Any(p => !(p.X > 0)))
            throw new ArgumentException($"Chart '{Title}' in section '{sectionId}' has a log x axis but an x ≤ 0; use a linear axis or drop those points.");
        if (YMin is { } lo && YMax is { } hi && !(hi > lo))
            throw new ArgumentException($"Chart '{Title}' in section '{sectionId}' has YMax {hi} ≤ YMin {lo}.");
    }
}
