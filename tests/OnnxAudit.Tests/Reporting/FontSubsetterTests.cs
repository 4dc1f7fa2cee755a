using OnnxAudit.Reporting.Pdf;
using SkiaSharp;

namespace OnnxAudit.Tests.Reporting;

public sealed class FontSubsetterTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Subset_KeepsUsedOutlinesAndMetrics_EmptiesTheRest(bool bold)
    {
        var resolver = new ReportFontResolver();
        var full = resolver.Typeface(bold);
        using var sub = resolver.SubsetTypeface(bold, [.. "Ab≥é".Select(ch => (int)ch)]);
        var fullBytes = resolver.GetFont(bold ? ReportFontResolver.BoldFace : ReportFontResolver.RegularFace);
        using var subData = sub.OpenStream(out _);
        Assert.True(subData.Length < fullBytes.Length / 2, $"subset {subData.Length} B vs full {fullBytes.Length} B");
        // as the PDF renderer measures: unhinted, linear metrics
        using var fFull = new SKFont(full, 12) { Hinting = SKFontHinting.None, LinearMetrics = true, Subpixel = true };
        using var fSub = new SKFont(sub, 12) { Hinting = SKFontHinting.None, LinearMetrics = true, Subpixel = true };
        // Same glyph ids and advances for every character, kept or not: layout does not change.
        const string probe = "Ab≥é zZ→";
        Assert.Equal(fFull.GetGlyphs(probe), fSub.GetGlyphs(probe));
        Assert.Equal(fFull.MeasureText(probe), fSub.MeasureText(probe), 3);
        // Kept glyphs have outlines; dropped ones are empty.
        using var kept = fSub.GetGlyphPath(fSub.GetGlyphs("é")[0]);
        using var dropped = fSub.GetGlyphPath(fSub.GetGlyphs("Z")[0]);
        Assert.False(kept.IsEmpty);
        Assert.True(dropped is null || dropped.IsEmpty);
    }

    [Fact]
    public void Subset_NotTrueType_ReturnsInputUnchanged()
    {
        var bytes = "OTTO and then some CFF data"u8.ToArray();
        Assert.Same(bytes, FontSubsetter.Subset(bytes, [1, 2]));
    }
}
