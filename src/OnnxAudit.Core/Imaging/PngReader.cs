using System.Buffers.Binary;
using System.Globalization;
using System.IO.Compression;
using OnnxAudit.Data;
using OnnxAudit.Errors;

namespace OnnxAudit.Imaging;

/// <summary>
/// A small PNG decoder: bit depth 8, colour types gray (0), RGB (2), palette (3, expanded to RGB, or RGBA when a tRNS
/// chunk is present), gray+alpha (4) and RGBA (6); all five filter types; non-interlaced only. Chunk CRCs are
/// verified. 16-bit, sub-byte depths and Adam7 interlacing are rejected with a one-line
/// <see cref="DataFormatException"/>. Stateless and thread-safe.
/// </summary>
public static class PngReader
{
    private static readonly byte[] Signature = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>Reads and decodes the PNG file at <paramref name="path"/>.</summary>
    public static PngImage Read(string path)
    {
        DataFiles.RequireFile(path, "a PNG image");
        return Decode(File.ReadAllBytes(path), path);
    }

    /// <summary>Decodes PNG bytes; <paramref name="source"/> names the file in messages.</summary>
    public static PngImage Decode(ReadOnlySpan<byte> png, string source)
    {
        if (png.Length < 8 || !png[..8].SequenceEqual(Signature))
        {
            throw new DataFormatException($"{source}: not a PNG file (bad signature); pass PNG images.");
        }
        var pos = 8;
        int width = 0, height = 0, depth = 0, colorType = -1;
        byte[]? palette = null;
        byte[]? paletteAlpha = null;
        using var idat = new MemoryStream();
        var sawEnd = false;
        while (!sawEnd)
        {
            if (pos + 8 > png.Length) throw Truncated(source);
            var len = BinaryPrimitives.ReadInt32BigEndian(png[pos..]);
            if (len < 0 || pos + 12L + len > png.Length) throw Truncated(source);
            var type = System.Text.Encoding.ASCII.GetString(png.Slice(pos + 4, 4));
            var data = png.Slice(pos + 8, len);
            var crc = BinaryPrimitives.ReadUInt32BigEndian(png[(pos + 8 + len)..]);
            if (crc != Crc32.Compute(png.Slice(pos + 4, 4 + len)))
            {
                throw new DataFormatException($"{source}: PNG chunk {type} has a bad CRC (file corrupt); re-create the image.");
            }
            pos += 12 + len;
            switch (type)
            {
                case "IHDR":
                    if (len != 13) throw Corrupt(source, "IHDR chunk has the wrong length");
                    width = BinaryPrimitives.ReadInt32BigEndian(data);
                    height = BinaryPrimitives.ReadInt32BigEndian(data[4..]);
                    depth = data[8];
                    colorType = data[9];
                    if (width <= 0 || height <= 0 || (long)width * height > 1 << 28) throw Corrupt(source, $"image size {width}×{height} is invalid or too large");
                    if (data[10] != 0 || data[11] != 0) throw Corrupt(source, "unknown compression or filter method");
                    if (data[12] != 0)
                    {
                        throw new DataFormatException($"{source}: PNG is interlaced (Adam7), which is not supported; re-save it without interlacing.");
                    }
                    if (colorType is not (0 or 2 or 3 or 4 or 6)) throw Corrupt(source, $"unknown colour type {colorType}");
                    if (depth != 8)
                    {
                        throw new DataFormatException(string.Create(CultureInfo.InvariantCulture,
                            $"{source}: PNG has bit depth {depth} but only 8-bit images are supported; re-save it as 8-bit (e.g. PIL: img.convert('L' or 'RGB'))."));
                    }
                    break;
                case "PLTE":
                    if (len % 3 != 0 || len == 0 || len > 768) throw Corrupt(source, "PLTE chunk has an invalid length");
                    palette = data.ToArray();
                    break;
                case "tRNS":
                    if (colorType == 3) paletteAlpha = data.ToArray();
                    break;
                case "IDAT":
                    if (colorType < 0) throw Corrupt(source, "IDAT before IHDR");
                    idat.Write(data);
                    break;
                case "IEND":
                    sawEnd = true;
                    break;
            }
        }
        if (colorType < 0) throw Corrupt(source, "no IHDR chunk");
        if (colorType == 3 && palette is null) throw Corrupt(source, "palette image without a PLTE chunk");

        var bpp = colorType switch { 0 => 1, 2 => 3, 3 => 1, 4 => 2, _ => 4 };
        var stride = width * bpp;
        var raw = new byte[(long)(stride + 1) * height];
        idat.Position = 0;
        try
        {
            using var z = new ZLibStream(idat, CompressionMode.Decompress);
            var got = z.ReadAtLeast(raw, raw.Length, throwOnEndOfStream: false);
            if (got < raw.Length) throw Truncated(source);
        }
        catch (InvalidDataException e)
        {
            throw new DataFormatException($"{source}: PNG image data is corrupt ({e.Message}); re-create the image.", e);
        }

        var pixels = new byte[stride * height];
        Unfilter(raw, pixels, stride, height, bpp, source);

        if (colorType != 3) return new PngImage(width, height, bpp, pixels);
        var outCh = paletteAlpha is null ? 3 : 4;
        var expanded = new byte[width * height * outCh];
        var entries = palette!.Length / 3;
        for (var i = 0; i < pixels.Length; i++)
        {
            int k = pixels[i];
            if (k >= entries) throw Corrupt(source, $"palette index {k} out of range ({entries} entries)");
            expanded[i * outCh] = palette[3 * k];
            expanded[i * outCh + 1] = palette[3 * k + 1];
            expanded[i * outCh + 2] = palette[3 * k + 2];
            if (outCh == 4) expanded[i * outCh + 3] = k < paletteAlpha!.Length ? paletteAlpha[k] : (byte)255;
        }
        return new PngImage(width, height, outCh, expanded);
    }

    // why: PNG spec §9.2 — filters operate on bytes; a = left (bpp bytes back), b = above, c = upper-left.
    private static void Unfilter(byte[] raw, byte[] dst, int stride, int height, int bpp, string source)
    {
        for (var y = 0; y < height; y++)
        {
            var filter = raw[y * (stride + 1)];
            var src = raw.AsSpan(y * (stride + 1) + 1, stride);
            var row = dst.AsSpan(y * stride, stride);
            var prev = y == 0 ? Span<byte>.Empty : dst.AsSpan((y - 1) * stride, stride);
            for (var x = 0; x < stride; x++)
            {
                int a = x >= bpp ? row[x - bpp] : 0;
                int b = y > 0 ? prev[x] : 0;
                int c = x >= bpp && y > 0 ? prev[x - bpp] : 0;
                var predictor = filter switch
                {
                    0 => 0,
                    1 => a,
                    2 => b,
                    3 => (a + b) >> 1,
                    4 => Paeth(a, b, c),
                    _ => throw Corrupt(source, $"row {y} has unknown filter type {filter}"),
                };
                row[x] = (byte)(src[x] + predictor);
            }
        }
    }

    private static int Paeth(int a, int b, int c)
    {
        var p = a + b - c;
        int pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }

    private static DataFormatException Truncated(string source) =>
        new($"{source}: PNG file is truncated; re-create or re-download the image.");

    private static DataFormatException Corrupt(string source, string what) =>
        new($"{source}: PNG is corrupt ({what}); re-create the image.");
}
