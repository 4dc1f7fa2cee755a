namespace OnnxAudit.Reporting.Model;

/// <summary>A table column.</summary>
/// <param name="Header">Header text.</param>
/// <param name="Alignment">Alignment of the cells (numbers: <see cref="ColumnAlignment.Right"/>).</param>
/// <param name="RelativeWidth">Share of the table width relative to the other columns (&gt; 0).</param>
public sealed record TableColumn(string Header, ColumnAlignment Alignment = ColumnAlignment.Left, double RelativeWidth = 1.0)
{
    /// <summary>A left-aligned column.</summary>
    public static implicit operator TableColumn(string header) => new(header);
}
