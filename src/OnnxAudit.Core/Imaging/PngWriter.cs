using OnnxAudit.Common;
using SkiaSharp;

namespace OnnxAudit.Imaging;

/// <summary>
/// PNG encoder on SkiaSharp: 8-bit gray (1 channel) or RGB (3 channels) in, lossless PNG out. Writes are atomic
/// (temp file + rename). Stateless and thread-safe.
/// </summary>
public static class PngWriter
{
    /// <summary>Writes interleaved 8-bit pixels (H×W×channels, channels 1 = gray or 3 = RGB) to <paramref name="path"/>.</summary>
    public static void Write(string path, ReadOnlySpan<byte> pixels, int width, int height, int channels)
    {
        var bytes = Encode(pixels, width, height, channels);
        AtomicFile.Write(path, s => s.Write(bytes));
    }

    /// <summary>Writes a <see cref="PngImage"/> with 1 or 3 channels.</summary>
    public static void Write(string path, PngImage image) => Write(path, image.Pixels, image.Width, image.Height, image.Channels);

    /// <summary>The PNG file bytes for interleaved 8-bit pixels (channels 1 or 3).</summary>
    /// <exception cref="ArgumentException">Bad size or channel count.</exception>
    public static byte[] Encode(ReadOnlySpan<byte> pixels, int width, int height, int channels)
    {
        if (width <= 0 || height <= 0) throw new ArgumentException($"image size {width}×{height} must be positive");
        if (channels is not (1 or 3)) throw new ArgumentException($"channels must be 1 (gray) or 3 (RGB), got {channels}", nameof(channels));
        var plane = (long)width * height;
        if (pixels.Length != plane * channels) throw new ArgumentException($"expected {plane * channels} pixel bytes, got {pixels.Length}", nameof(pixels));

        // why: Skia has no 24-bit RGB colour type; RGB goes in as opaque RGBA and its PNG encoder writes colour type 2
        // (RGB, no alpha) for opaque images, gray as Gray8 → colour type 0.
        var info = new SKImageInfo(width, height, channels == 1 ? SKColorType.Gray8 : SKColorType.Rgba8888, SKAlphaType.Opaque);
        var data = new byte[info.BytesSize64];
        if (channels == 1) pixels.CopyTo(data);
        else
        {
            for (long p = 0; p < plane; p++)
            {
                data[4 * p] = pixels[(int)(3 * p)];
                data[4 * p + 1] = pixels[(int)(3 * p + 1)];
                data[4 * p + 2] = pixels[(int)(3 * p + 2)];
                data[4 * p + 3] = 255;
            }
        }
        unsafe
        {
            fixed (byte* ptr = data)
            {
                using var pixmap = new SKPixmap(info, (nint)ptr, info.RowBytes);
                using var encoded = pixmap.Encode(new SKPngEncoderOptions(SKPngEncoderFilterFlags.AllFilters, zLibLevel: 6))
                    ?? throw new InvalidOperationException($"SkiaSharp could not encode a {width}×{height} PNG.");
                return encoded.ToArray();
            }
        }
    }
}
