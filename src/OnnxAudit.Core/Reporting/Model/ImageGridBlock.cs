namespace OnnxAudit.Reporting.Model;

/// <summary>A grid of images with row labels and column headers (originals beside reconstructions).</summary>
/// <param name="Caption">Caption under the grid.</param>
/// <param name="ColumnLabels">Column headers (may be empty); when given, one per column.</param>
/// <param name="Rows">Rows; all have the same number of images.</param>
public sealed record ImageGridBlock(string Caption, IReadOnlyList<string> ColumnLabels, IReadOnlyList<ImageGridRow> Rows) : ReportBlock
{
    /// <inheritdoc/>
    public override string TypeName => "image-grid";

    /// <summary>Number of columns (images per row).</summary>
    public int ColumnCount => Rows.Count == 0 ? ColumnLabels.Count : Rows[0].Images.Count;

    /// <inheritdoc/>
    public override void Validate(string sectionId)
    {
        var n = ColumnCount;
        if (ColumnLabels.Count != 0 && ColumnLabels.Count != n)
            throw new ArgumentException($"Image grid '{Caption}' in section '{sectionId}' has {ColumnLabels.Count} column labels for {n} columns.");
        foreach (var r in Rows)
        {
            if (r.Images.Count != n)
                throw new ArgumentException($"Row '{r.Label}' of image grid '{Caption}' in section '{sectionId}' has {r.Images.Count} images; expected {n}.");
            foreach (var img in r.Images)
                if (!PngInfo.TryRead(img.Png, out _, out _))
                    throw new ArgumentException($"An image in row '{r.Label}' of image grid '{Caption}' in section '{sectionId}' is not a PNG file.");
        }
    }
}
