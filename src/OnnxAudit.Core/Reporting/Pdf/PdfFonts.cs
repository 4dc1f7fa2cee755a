using System.Collections.Concurrent;
using System.Globalization;
using SkiaSharp;

namespace OnnxAudit.Reporting.Pdf;

/// <summary>
/// The fonts one rendering uses: regular and bold typefaces subset to the code points the document needs, and
/// <see cref="SKFont"/>s cached by size and weight. Registers its typefaces under a family name of its own
/// (<see cref="Family"/>) so that charts drawn through ScottPlot's global font lookup use the same embedded fonts.
/// Owns and disposes its typefaces and fonts; not thread-safe (one rendering at a time).
/// </summary>
internal sealed class PdfFonts : IDisposable
{
    private static readonly ConcurrentDictionary<string, PdfFonts> Registered = new(StringComparer.Ordinal);
    private static long _next;
    private readonly Dictionary<(float, bool), SKFont> _cache = [];
    private readonly SKTypeface _regular;
    private readonly SKTypeface _bold;

    /// <summary>Fonts holding the glyphs of <paramref name="codePoints"/>, from <paramref name="resolver"/> (default: <see cref="ReportFontResolver.Shared"/>).</summary>
    public PdfFonts(IReadOnlyCollection<int> codePoints, ReportFontResolver? resolver = null)
    {
        resolver ??= ReportFontResolver.Shared;
        _regular = resolver.SubsetTypeface(false, codePoints);
        try { _bold = resolver.SubsetTypeface(true, codePoints); }
        catch { _regular.Dispose(); throw; }
        Family = string.Create(CultureInfo.InvariantCulture, $"OnnxAuditPdf{Interlocked.Increment(ref _next)}");
        Registered[Family] = this;
    }

    /// <summary>A family name unique to this instance; <see cref="Lookup"/> resolves it while the instance lives.</summary>
    public string Family { get; }

    /// <summary>The typeface of a live instance registered under <paramref name="family"/>, or null.</summary>
    public static SKTypeface? Lookup(string family, bool bold) =>
        Registered.TryGetValue(family, out var f) ? (bold ? f._bold : f._regular) : null;

    /// <summary>Font of <paramref name="size"/> points, regular or bold.</summary>
    public SKFont Get(float size, bool bold = false)
    {
        if (!_cache.TryGetValue((size, bold), out var f))
        {
            // why: no hinting and linear metrics, so widths measured here are the widths the PDF viewer uses.
            f = new SKFont(bold ? _bold : _regular, size) { Subpixel = true, LinearMetrics = true, Hinting = SKFontHinting.None };
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
        Registered.TryRemove(Family, out _);
        foreach (var f in _cache.Values) f.Dispose();
        _cache.Clear();
        _regular.Dispose();
        _bold.Dispose();
    }
}
