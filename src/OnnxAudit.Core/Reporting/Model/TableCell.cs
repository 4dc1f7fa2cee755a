namespace OnnxAudit.Reporting.Model;

/// <summary>A table cell: formatted text, optionally shaded with a severity colour.</summary>
/// <param name="Text">Formatted text.</param>
/// <param name="Severity">When set, the cell background takes a tint of that severity's colour.</param>
public sealed record TableCell(string Text, Severity? Severity = null)
{
    /// <summary>A plain cell.</summary>
    public static implicit operator TableCell(string text) => new(text);
}
