using SkiaSharp;

namespace OnnxAudit.Reporting.Pdf;

/// <summary>One wrapped line: chunks of text, each in one font, drawn left to right.</summary>
internal sealed class PdfTextLine
{
    /// <summary>Chunks (font, text) in order; text may contain spaces.</summary>
    public List<(SKFont Font, string Text)> Chunks { get; } = [];

    /// <summary>Measured width of the whole line in points.</summary>
    public float Width { get; set; }

    /// <summary>True when nothing has been placed on the line.</summary>
    public bool IsEmpty => Chunks.Count == 0;

    /// <summary>The line's text.</summary>
    public override string ToString() => string.Concat(Chunks.Select(c => c.Text));
}
