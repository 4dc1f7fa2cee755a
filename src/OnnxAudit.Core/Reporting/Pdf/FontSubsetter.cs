using System.Buffers.Binary;

namespace OnnxAudit.Reporting.Pdf;

/// <summary>
/// Subsets a TrueType (glyf-outline) font by emptying the outlines of every glyph that is not needed, keeping glyph
/// ids, metrics and the cmap unchanged, so text laid out with the full font lays out identically with the subset.
/// Needed glyphs: .notdef, the glyphs the cmap maps the given code points to, and the components of composite
/// glyphs. Tables a PDF viewer does not use for Identity-H CID fonts (layout: GPOS, GSUB, GDEF, kern, MATH; glyph
/// names: post is cut to format 3; hinting: fpgm, prep, cvt, hdmx, LTSH, VDMX) are dropped.
/// why: SkiaSharp's native PDF backend is built without a font subsetter (SkPDFSubsetFont returns nothing), so Skia
/// embeds whatever font bytes it is given; handing it this subset keeps the PDF small. Stateless and thread-safe.
/// </summary>
internal static class FontSubsetter
{
    private static readonly HashSet<string> Dropped = ["GPOS", "GSUB", "GDEF", "kern", "MATH", "fpgm", "prep", "cvt ", "hdmx", "LTSH", "VDMX", "DSIG"];

    /// <summary>The subset font, or <paramref name="font"/> unchanged when it is not a glyf-based TrueType font.</summary>
    /// <param name="font">A TrueType font file (sfnt version 0x00010000).</param>
    /// <param name="glyphs">Glyph ids to keep (from the full font's cmap, e.g. via SKFont.GetGlyphs).</param>
    public static byte[] Subset(byte[] font, IEnumerable<ushort> glyphs)
    {
        var tables = ReadTables(font);
        if (tables is null || !tables.TryGetValue("glyf", out var glyf) || !tables.TryGetValue("loca", out var loca)
            || !tables.TryGetValue("head", out var head) || !tables.TryGetValue("maxp", out var maxp)) return font;
        var numGlyphs = BinaryPrimitives.ReadUInt16BigEndian(maxp.AsSpan(4));
        var longLoca = BinaryPrimitives.ReadInt16BigEndian(head.AsSpan(50)) == 1;
        uint Loca(int g) => longLoca ? BinaryPrimitives.ReadUInt32BigEndian(loca.AsSpan(4 * g)) : 2u * BinaryPrimitives.ReadUInt16BigEndian(loca.AsSpan(2 * g));

        var keep = new HashSet<int>();
        var todo = new Stack<int>(glyphs.Where(g => g < numGlyphs).Select(g => (int)g).Append(0));
        while (todo.Count > 0)
        {
            var g = todo.Pop();
            if (!keep.Add(g)) continue;
            foreach (var c in Components(glyf, (int)Loca(g), (int)Loca(g + 1)))
                if (c < numGlyphs && !keep.Contains(c)) todo.Push(c);
        }

        using var newGlyf = new MemoryStream();
        var newLoca = new byte[4 * (numGlyphs + 1)];
        for (var g = 0; g < numGlyphs; g++)
        {
            BinaryPrimitives.WriteUInt32BigEndian(newLoca.AsSpan(4 * g), (uint)newGlyf.Length);
            if (!keep.Contains(g)) continue;
            int start = (int)Loca(g), end = (int)Loca(g + 1);
            newGlyf.Write(glyf, start, end - start);
            while (newGlyf.Length % 4 != 0) newGlyf.WriteByte(0);
        }
        BinaryPrimitives.WriteUInt32BigEndian(newLoca.AsSpan(4 * numGlyphs), (uint)newGlyf.Length);

        var newHead = (byte[])head.Clone();
        BinaryPrimitives.WriteInt16BigEndian(newHead.AsSpan(50), 1); // long loca offsets
        BinaryPrimitives.WriteUInt32BigEndian(newHead.AsSpan(8), 0); // checkSumAdjustment, set below
        var result = new SortedDictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var (tag, data) in tables)
        {
            if (Dropped.Contains(tag)) continue;
            result[tag] = tag switch
            {
                "glyf" => newGlyf.ToArray(),
                "loca" => newLoca,
                "head" => newHead,
                "post" when data.Length >= 32 => PostFormat3(data),
                _ => data,
            };
        }
        return Write(result);
    }

    /// <summary>Glyph ids referenced by the composite glyph in glyf[start..end) (none for simple or empty glyphs).</summary>
    private static IEnumerable<int> Components(byte[] glyf, int start, int end)
    {
        if (end - start < 10 || BinaryPrimitives.ReadInt16BigEndian(glyf.AsSpan(start)) >= 0) yield break;
        var p = start + 10;
        while (p + 4 <= end)
        {
            var flags = BinaryPrimitives.ReadUInt16BigEndian(glyf.AsSpan(p));
            yield return BinaryPrimitives.ReadUInt16BigEndian(glyf.AsSpan(p + 2));
            // why: OpenType glyf spec, composite glyph flags: ARG_1_AND_2_ARE_WORDS 0x1, WE_HAVE_A_SCALE 0x8,
            // MORE_COMPONENTS 0x20, WE_HAVE_AN_X_AND_Y_SCALE 0x40, WE_HAVE_A_TWO_BY_TWO 0x80.
            p += 4 + ((flags & 0x1) != 0 ? 4 : 2);
            if ((flags & 0x8) != 0) p += 2;
            else if ((flags & 0x40) != 0) p += 4;
            else if ((flags & 0x80) != 0) p += 8;
            if ((flags & 0x20) == 0) yield break;
        }
    }

    private static byte[] PostFormat3(byte[] post)
    {
        var p = post[..32];
        BinaryPrimitives.WriteUInt32BigEndian(p, 0x00030000);
        return p;
    }

    private static Dictionary<string, byte[]>? ReadTables(byte[] font)
    {
        if (font.Length < 12 || BinaryPrimitives.ReadUInt32BigEndian(font) != 0x00010000) return null;
        var n = BinaryPrimitives.ReadUInt16BigEndian(font.AsSpan(4));
        var tables = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        for (var i = 0; i < n; i++)
        {
            var rec = 12 + 16 * i;
            if (rec + 16 > font.Length) return null;
            var tag = System.Text.Encoding.ASCII.GetString(font, rec, 4);
            var off = BinaryPrimitives.ReadUInt32BigEndian(font.AsSpan(rec + 8));
            var len = BinaryPrimitives.ReadUInt32BigEndian(font.AsSpan(rec + 12));
            if ((long)off + len > font.Length) return null;
            tables[tag] = font.AsSpan((int)off, (int)len).ToArray();
        }
        return tables;
    }

    private static byte[] Write(SortedDictionary<string, byte[]> tables)
    {
        var n = tables.Count;
        var log2 = (int)Math.Floor(Math.Log2(n));
        var searchRange = (1 << log2) * 16;
        var headerLen = 12 + 16 * n;
        var total = headerLen + tables.Values.Sum(t => (t.Length + 3) / 4 * 4);
        var font = new byte[total];
        BinaryPrimitives.WriteUInt32BigEndian(font, 0x00010000);
        BinaryPrimitives.WriteUInt16BigEndian(font.AsSpan(4), (ushort)n);
        BinaryPrimitives.WriteUInt16BigEndian(font.AsSpan(6), (ushort)searchRange);
        BinaryPrimitives.WriteUInt16BigEndian(font.AsSpan(8), (ushort)log2);
        BinaryPrimitives.WriteUInt16BigEndian(font.AsSpan(10), (ushort)(n * 16 - searchRange));
        var off = headerLen;
        var i = 0;
        var headOffset = -1;
        foreach (var (tag, data) in tables)
        {
            var rec = 12 + 16 * i++;
            System.Text.Encoding.ASCII.GetBytes(tag, font.AsSpan(rec));
            data.CopyTo(font, off);
            BinaryPrimitives.WriteUInt32BigEndian(font.AsSpan(rec + 4), Checksum(font.AsSpan(off, (data.Length + 3) / 4 * 4)));
            BinaryPrimitives.WriteUInt32BigEndian(font.AsSpan(rec + 8), (uint)off);
            BinaryPrimitives.WriteUInt32BigEndian(font.AsSpan(rec + 12), (uint)data.Length);
            if (tag == "head") headOffset = off;
            off += (data.Length + 3) / 4 * 4;
        }
        // why: OpenType head table: checkSumAdjustment = 0xB1B0AFBA − checksum of the whole font (with it zeroed).
        if (headOffset >= 0) BinaryPrimitives.WriteUInt32BigEndian(font.AsSpan(headOffset + 8), 0xB1B0AFBAu - Checksum(font));
        return font;
    }

    private static uint Checksum(ReadOnlySpan<byte> data)
    {
        uint sum = 0;
        for (var i = 0; i + 4 <= data.Length; i += 4) sum += BinaryPrimitives.ReadUInt32BigEndian(data[i..]);
        return sum;
    }
}
