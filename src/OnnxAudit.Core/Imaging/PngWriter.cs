using System.Buffers.Binary;
using System.IO.Compression;
using OnnxAudit.Data;

namespace OnnxAudit.Imaging;

/// <summary>
/// A small PNG encoder: 8-bit gray (colour type 0) or RGB (colour type 2), non-interlaced, every row with filter
/// type 0 (None), image data compressed with <see cref="ZLibStream"/>. Writes are atomic (temp file + rename).
/// Stateless and thread-safe.
/// </summary>
public static class PngWriter
{
    private static readonly byte[] Signature = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>Writes interleaved 8-bit pixels (H×W×channels, channels 1 = gray or 3 = RGB) to <paramref name="path"/>.</summary>
    public static void Write(string path, ReadOnlySpan<byte> pixels, int width, int height, int channels)
    {
        var bytes = Encode(pixels, width, height, channels);
        DataFiles.WriteAtomic(path, s => s.Write(bytes));
    }

    /// <summary>Writes a <see cref="PngImage"/> with 1 or 3 channels.</summary>
    public static void Write(string path, PngImage image) => Write(path, image.Pixels, image.Width, image.Height, image.Channels);

    /// <summary>The PNG file bytes for interleaved 8-bit pixels (channels 1 or 3).</summary>
    /// <exception cref="ArgumentException">Bad size or channel count.</exception>
    public static byte[] Encode(ReadOnlySpan<byte> pixels, int width, int height, int channels)
    {
        if (width <= 0 || height <= 0) throw new ArgumentException($"image size {width}×{height} must be positive");
        if (channels is not (1 or 3)) throw new ArgumentException($"channels must be 1 (gray) or 3 (RGB), got {channels}", nameof(channels));
        var stride = width * channels;
        if (pixels.Length != (long)stride * height) throw new ArgumentException($"expected {stride * height} pixel bytes, got {pixels.Length}", nameof(pixels));

        using var idat = new MemoryStream();
        using (var z = new ZLibStream(idat, CompressionLevel.Optimal, leaveOpen: true))
        {
            for (var y = 0; y < height; y++)
            {
                z.WriteByte(0); // filter type None
                z.Write(pixels.Slice(y * stride, stride));
            }
        }

        using var png = new MemoryStream();
        png.Write(Signature);
        Span<byte> ihdr = stackalloc byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr[4..], height);
        ihdr[8] = 8; // bit depth
        ihdr[9] = (byte)(channels == 1 ? 0 : 2); // colour type
        ihdr[10] = 0; // compression: deflate
        ihdr[11] = 0; // filter method 0
        ihdr[12] = 0; // no interlace
        WriteChunk(png, "IHDR", ihdr);
        WriteChunk(png, "IDAT", idat.GetBuffer().AsSpan(0, (int)idat.Length));
        WriteChunk(png, "IEND", []);
        return png.ToArray();
    }

    private static void WriteChunk(Stream s, string type, ReadOnlySpan<byte> data)
    {
        Span<byte> head = stackalloc byte[8];
        BinaryPrimitives.WriteInt32BigEndian(head, data.Length);
        for (var i = 0; i < 4; i++) head[4 + i] = (byte)type[i];
        s.Write(head);
        s.Write(data);
        // why: the PNG CRC covers the chunk type and data, not the length (PNG spec §5.3).
        var crc = Crc32.Append(Crc32.Compute(head[4..]), data);
        Span<byte> tail = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(tail, crc);
        s.Write(tail);
    }
}
