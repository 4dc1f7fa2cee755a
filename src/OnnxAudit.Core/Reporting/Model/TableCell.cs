namespace OnnxAudit.Reporting.Model;

/// <summary>A table cell: formatted text, optionally shaded with a severity colour.</summary>
/// <param name="Text">Formatted text.</param>
/// <param name="Severity">When set, the cell background takes a tint of that severity's colour.</param>
public sealed record TableCell(string Text, Severity? Severity = null)
{
    /// <summary>The number the cell shows (report.json writes it as a number beside the text), or null.</summary>
    public double? Value { get; init; }

    /// <summary>Lower bound of the value's 95% interval, or null.</summary>
    public double? Lower { get; init; }

    /// <summary>Upper bound of the value's 95% interval, or null.</summary>
    public double? Upper { get; init; }

    /// <summary>Unit of <see cref="Value"/> (e.g. "dB"), or null.</summary>
    public string? Unit { get; init; }

    /// <summary>A plain cell.</summary>
    public static implicit operator TableCell(string text) => new(text);
}
