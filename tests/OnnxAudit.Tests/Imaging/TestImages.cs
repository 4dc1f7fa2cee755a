using System.Buffers.Binary;
using SkiaSharp;

namespace OnnxAudit.Tests.Imaging;

/// <summary>Tiny encoded images made in the test: PNG, JPEG and WebP by SkiaSharp's encoders; BMP and GIF (which Skia cannot encode) by hand.</summary>
internal static class TestImages
{
    /// <summary>A W×H RGB test pattern, interleaved.</summary>
    public static byte[] Rgb(int w, int h) =>
        [.. Enumerable.Range(0, w * h).SelectMany(p => new[] { (byte)(p * 37 % 256), (byte)(p * 11 % 256), (byte)(255 - p * 23 % 256) })];

    /// <summary>Encodes RGB pixels with Skia (PNG lossless, JPEG quality 100, WebP lossless).</summary>
    public static byte[] Encode(byte[] rgb, int w, int h, SKEncodedImageFormat format)
    {
        using var bmp = new SKBitmap(new SKImageInfo(w, h, SKColorType.Rgba8888, SKAlphaType.Opaque));
        for (var y = 0; y < h; y++)
            for (var x = 0; x < w; x++)
            {
                var p = 3 * (y * w + x);
                bmp.SetPixel(x, y, new SKColor(rgb[p], rgb[p + 1], rgb[p + 2]));
            }
        using var pixmap = bmp.PeekPixels();
        using var data = format switch
        {
            SKEncodedImageFormat.Png => pixmap.Encode(SKPngEncoderOptions.Default),
            SKEncodedImageFormat.Jpeg => pixmap.Encode(new SKJpegEncoderOptions(100, SKJpegEncoderDownsample.Downsample444, SKJpegEncoderAlphaOption.Ignore)),
            SKEncodedImageFormat.Webp => pixmap.Encode(new SKWebpEncoderOptions(SKWebpEncoderCompression.Lossless, 100)),
            _ => throw new ArgumentException(format.ToString()),
        };
        return data!.ToArray();
    }

    /// <summary>A 24-bit bottom-up BMP (BITMAPINFOHEADER, rows padded to 4 bytes).</summary>
    public static byte[] Bmp(byte[] rgb, int w, int h)
    {
        var stride = (3 * w + 3) / 4 * 4;
        var file = new byte[54 + stride * h];
        "BM"u8.CopyTo(file);
        BinaryPrimitives.WriteInt32LittleEndian(file.AsSpan(2), file.Length);
        BinaryPrimitives.WriteInt32LittleEndian(file.AsSpan(10), 54);
        BinaryPrimitives.WriteInt32LittleEndian(file.AsSpan(14), 40);
        BinaryPrimitives.WriteInt32LittleEndian(file.AsSpan(18), w);
        BinaryPrimitives.WriteInt32LittleEndian(file.AsSpan(22), h);
        BinaryPrimitives.WriteInt16LittleEndian(file.AsSpan(26), 1);
        BinaryPrimitives.WriteInt16LittleEndian(file.AsSpan(28), 24);
        for (var y = 0; y < h; y++)
            for (var x = 0; x < w; x++)
            {
                var o = 54 + (h - 1 - y) * stride + 3 * x;
                var p = 3 * (y * w + x);
                (file[o], file[o + 1], file[o + 2]) = (rgb[p + 2], rgb[p + 1], rgb[p]);
            }
        return file;
    }

    /// <summary>
    /// A GIF89a with a 256-level gray global palette and one frame per entry of <paramref name="frames"/> (gray
    /// bytes, W×H). LZW without compression: a clear code after every two pixel codes keeps the code width at 9 bits.
    /// </summary>
    public static byte[] Gif(int w, int h, params byte[][] frames)
    {
        using var ms = new MemoryStream();
        ms.Write("GIF89a"u8);
        var u16 = new byte[2];
        void U16(int v) { BinaryPrimitives.WriteUInt16LittleEndian(u16, (ushort)v); ms.Write(u16); }
        U16(w); U16(h);
        ms.WriteByte(0xF7); // global colour table, 8 bits, 256 entries
        ms.WriteByte(0); ms.WriteByte(0);
        for (var i = 0; i < 256; i++) { ms.WriteByte((byte)i); ms.WriteByte((byte)i); ms.WriteByte((byte)i); }
        foreach (var frame in frames)
        {
            ms.Write([0x21, 0xF9, 4, 0, 10, 0, 0, 0]); // graphic control: 0.1 s delay
            ms.WriteByte(0x2C);
            U16(0); U16(0); U16(w); U16(h);
            ms.WriteByte(0);
            ms.WriteByte(8); // LZW minimum code size
            var codes = new List<int> { 256 };
            for (var i = 0; i < frame.Length; i++)
            {
                if (i > 0 && i % 2 == 0) codes.Add(256);
                codes.Add(frame[i]);
            }
            codes.Add(257);
            var bytes = new List<byte>();
            int acc = 0, bits = 0;
            foreach (var code in codes)
            {
                acc |= code << bits;
                bits += 9;
                while (bits >= 8) { bytes.Add((byte)(acc & 0xFF)); acc >>= 8; bits -= 8; }
            }
            if (bits > 0) bytes.Add((byte)acc);
            for (var i = 0; i < bytes.Count; i += 255)
            {
                var n = Math.Min(255, bytes.Count - i);
                ms.WriteByte((byte)n);
                ms.Write(bytes.GetRange(i, n).ToArray());
            }
            ms.WriteByte(0);
        }
        ms.WriteByte(0x3B);
        return ms.ToArray();
    }
}
