using System.Buffers.Binary;
using OnnxAudit.Reporting.Pdf;
using OnnxAudit.Tests.TestUtil;

namespace OnnxAudit.Tests.Reporting;

public sealed class ReportFontResolverTests
{
    /// <summary>Characters the renderers print (symbols used in verdicts, shapes, formulas).</summary>
    private const string Required = "AZaz09 .,;:%()[]{}<>=+-/\\'\"≥≤×→←·±−√∞≈∑‖…–—•²³ΦλσβδäöüéÅ✓✗■●";

    [Theory]
    [InlineData(ReportFontResolver.RegularFace)]
    [InlineData(ReportFontResolver.BoldFace)]
    public void GetFont_NoSystemFonts_FallsBackToEmbeddedSubsetCoveringReportSymbols(string face)
    {
        var resolver = new ReportFontResolver(["/nonexistent/fonts", RepoPaths.NewTempDir()]);
        var bytes = resolver.GetFont(face);
        Assert.NotNull(bytes);
        Assert.StartsWith("embedded:OnnxAudit.Fonts.DejaVuSans", resolver.SourceOf(face));
        Assert.Equal(0x00010000u, BinaryPrimitives.ReadUInt32BigEndian(bytes)); // TrueType outlines
        var mapped = CmapFormat4(bytes);
        var missing = Required.Where(ch => !mapped.Contains(ch)).ToArray();
        Assert.True(missing.Length == 0, "subset lacks: " + new string(missing));
        Assert.DoesNotContain('中', mapped); // it is a subset, not the full font
    }

    [Fact]
    public void GetFont_FontInSearchDirectory_IsPreferredOverEmbedded()
    {
        var dir = RepoPaths.NewTempDir();
        var sub = Directory.CreateDirectory(Path.Combine(dir, "truetype", "liberation")).FullName;
        var fake = new byte[] { 0, 1, 0, 0, 42, 42 };
        File.WriteAllBytes(Path.Combine(sub, "LiberationSans-Bold.ttf"), fake);
        var resolver = new ReportFontResolver([dir]);
        Assert.Equal(fake, resolver.GetFont(ReportFontResolver.BoldFace));
        Assert.Equal(Path.Combine(sub, "LiberationSans-Bold.ttf"), resolver.SourceOf(ReportFontResolver.BoldFace));
        // Regular is not there: that face still falls back.
        Assert.StartsWith("embedded:", resolver.SourceOf(ReportFontResolver.RegularFace));
    }

    [Fact]
    public void Typeface_RegularAndBold_AreDejaVuSansAndUnknownFaceThrows()
    {
        var resolver = new ReportFontResolver(["/nonexistent"]);
        Assert.Equal("DejaVu Sans", resolver.Typeface(bold: false).FamilyName);
        Assert.True(resolver.Typeface(bold: true).IsBold);
        Assert.Same(resolver.Typeface(bold: false), resolver.Typeface(bold: false));
        Assert.Throws<ArgumentException>(() => resolver.GetFont("Comic"));
    }

    [Fact]
    public void GetFont_ConcurrentCalls_ReturnTheSameCachedBytes()
    {
        var resolver = new ReportFontResolver(["/nonexistent"]);
        var results = new byte[]?[16];
        Parallel.For(0, results.Length, i => results[i] = resolver.GetFont(ReportFontResolver.RegularFace));
        Assert.All(results, r => Assert.Same(results[0], r));
    }

    /// <summary>Code points mapped by the font's format-4 (BMP) cmap subtable.</summary>
    private static HashSet<char> CmapFormat4(byte[] font)
    {
        var numTables = BinaryPrimitives.ReadUInt16BigEndian(font.AsSpan(4));
        var cmap = -1;
        for (var i = 0; i < numTables; i++)
        {
            var rec = 12 + 16 * i;
            if (font.AsSpan(rec, 4).SequenceEqual("cmap"u8)) cmap = (int)BinaryPrimitives.ReadUInt32BigEndian(font.AsSpan(rec + 8));
        }
        Assert.True(cmap >= 0, "no cmap table");
        var n = BinaryPrimitives.ReadUInt16BigEndian(font.AsSpan(cmap + 2));
        for (var i = 0; i < n; i++)
        {
            var rec = cmap + 4 + 8 * i;
            var platform = BinaryPrimitives.ReadUInt16BigEndian(font.AsSpan(rec));
            var encoding = BinaryPrimitives.ReadUInt16BigEndian(font.AsSpan(rec + 2));
            var off = cmap + (int)BinaryPrimitives.ReadUInt32BigEndian(font.AsSpan(rec + 4));
            if (platform != 3 || encoding != 1 || BinaryPrimitives.ReadUInt16BigEndian(font.AsSpan(off)) != 4) continue;
            var segX2 = BinaryPrimitives.ReadUInt16BigEndian(font.AsSpan(off + 6));
            var set = new HashSet<char>();
            for (var s = 0; s < segX2 / 2; s++)
            {
                var end = BinaryPrimitives.ReadUInt16BigEndian(font.AsSpan(off + 14 + 2 * s));
                var start = BinaryPrimitives.ReadUInt16BigEndian(font.AsSpan(off + 16 + segX2 + 2 * s));
                if (start == 0xFFFF) continue;
                for (var ch = start; ch <= end; ch++) set.Add((char)ch);
            }
            return set;
        }
        throw new InvalidOperationException("no Windows Unicode BMP (3,1) format-4 cmap");
    }
}
