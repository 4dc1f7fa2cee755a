using PdfSharp.Drawing;
using PdfSharp.Pdf;

namespace OnnxAudit.Reporting.Pdf;

/// <summary>The fonts one rendering uses (Unicode encoding so every glyph extracts as text).</summary>
internal sealed class PdfFonts
{
    private readonly Dictionary<(double, bool), XFont> _cache = [];
    private static readonly XPdfFontOptions Options = new(PdfFontEncoding.Unicode);

    /// <summary>Font of <paramref name="size"/> points, regular or bold.</summary>
    public XFont Get(double size, bool bold = false)
    {
        if (!_cache.TryGetValue((size, bold), out var f))
        {
            f = new XFont(PdfTheme.Family, size, bold ? XFontStyleEx.Bold : XFontStyleEx.Regular, Options);
            _cache[(size, bold)] = f;
        }
        return f;
    }

    public XFont Body => Get(PdfTheme.BodySize);
    public XFont BodyBold => Get(PdfTheme.BodySize, bold: true);
    public XFont Small => Get(PdfTheme.SmallSize);
    public XFont SmallBold => Get(PdfTheme.SmallSize, bold: true);

    /// <summary>Line height for a font size.</summary>
    public static double LineHeight(double size) => size * PdfTheme.LineFactor;
}
