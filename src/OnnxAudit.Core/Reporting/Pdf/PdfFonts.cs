using SkiaSharp;

namespace OnnxAudit.Reporting.Pdf;

/// <summary>The fonts one rendering uses, cached by size and weight; owns and disposes them.</summary>
internal sealed class PdfFonts : IDisposable
{
    private readonly Dictionary<(float, bool), SKFont> _cache = [];
    private readonly ReportFontResolver _resolver;

    /// <summary>Fonts from <paramref name="resolver"/> (default: <see cref="ReportFontResolver.Shared"/>).</summary>
    public PdfFonts(ReportFontResolver? resolver = null) => _resolver = resolver ?? ReportFontResolver.Shared;

    /// <summary>Font of <paramref name="size"/> points, regular or bold.</summary>
    public SKFont Get(float size, bool bold = false)
    {
        if (!_cache.TryGetValue((size, bold), out var f))
        {
            // why: no hinting and linear metrics, so widths measured here are the widths the PDF viewer uses.
            f = new SKFont(_resolver.Typeface(bold), size) { Subpixel = true, LinearMetrics = true, Hinting = SKFontHinting.None };
            _cache[(size, bold)] = f;
        }
        return f;
    }

    public SKFont Body => Get(PdfTheme.BodySize);
    public SKFont BodyBold => Get(PdfTheme.BodySize, bold: true);
    public SKFont Small => Get(PdfTheme.SmallSize);
    public SKFont SmallBold => Get(PdfTheme.SmallSize, bold: true);

    /// <summary>Line height for a font size.</summary>
    public static float LineHeight(float size) => size * PdfTheme.LineFactor;

    /// <summary>Advance width of <paramref name="text"/> in points.</summary>
    public static float Measure(string text, SKFont font) => font.MeasureText(text);

    public void Dispose()
    {
        foreach (var f in _cache.Values) f.Dispose();
        _cache.Clear();
    }
}
