namespace OnnxAudit.Reporting.Model;

/// <summary>
/// A table of formatted strings. In the PDF, a table longer than the page continues on the next
/// page with its header repeated.
/// </summary>
/// <param name="Caption">Caption above the table, or null.</param>
/// <param name="Columns">Columns (at least one).</param>
/// <param name="Rows">Rows; each has exactly one cell per column.</param>
public sealed record TableBlock(string? Caption, IReadOnlyList<TableColumn> Columns, IReadOnlyList<IReadOnlyList<TableCell>> Rows) : ReportBlock
{
    /// <summary>The PDF shows at most this many rows, then a line pointing to report.html and report.json (which keep
    /// every row); null = every row. Set on the per-layer and per-split-point tables.</summary>
    // why: issue 17 item 6: per-layer tables of deep models made most of the pages (mobilenet_v3_small@32: 157 layer rows,
    // 52 R-CONV rows and 49 split-point rows filled 20 of 39 pages); the PDF stays at about 30 pages, the evidence stays whole.
    public int? PdfMaxRows { get; init; }

    /// <summary>The <see cref="PdfMaxRows"/> of the per-layer and per-split-point tables.</summary>
    public const int PerLayerPdfRows = 20;

    /// <inheritdoc/>
    public override string TypeName => "table";

    /// <inheritdoc/>
    public override void Validate(string sectionId)
    {
        if (Columns.Count == 0)
            throw new ArgumentException($"Table '{Caption}' in section '{sectionId}' has no columns.");
        foreach (var c in Columns)
            if (!(c.RelativeWidth > 0) || double.IsInfinity(c.RelativeWidth))
                throw new ArgumentException($"Column '{c.Header}' of table '{Caption}' in section '{sectionId}' has width {c.RelativeWidth}; expected a finite value > 0.");
        for (var i = 0; i < Rows.Count; i++)
            if (Rows[i].Count != Columns.Count)
                throw new ArgumentException($"Row {i} of table '{Caption}' in section '{sectionId}' has {Rows[i].Count} cells; expected {Columns.Count} (one per column).");
    }
}
