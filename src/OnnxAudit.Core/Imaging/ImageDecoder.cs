using System.Globalization;
using OnnxAudit.Common;
using OnnxAudit.Errors;
using SkiaSharp;

namespace OnnxAudit.Imaging;

/// <summary>
/// Decodes PNG, JPEG, WebP, BMP and GIF (first frame) with SkiaSharp into 8-bit interleaved pixels: gray sources
/// (gray PNG/JPEG) give 1 channel, gray+alpha PNG 2, opaque colour (including palette) 3, colour with alpha 4. No
/// colour-space conversion is applied (pixel values as stored). The declared size is checked against
/// <see cref="MaxPixels"/> before any pixel is decoded. Stateless and thread-safe.
/// </summary>
public static class ImageDecoder
{
    /// <summary>Largest accepted width·height (2^28 pixels, 1 GiB as RGBA).</summary>
    public const long MaxPixels = 1L << 28;

    /// <summary>File extensions (lower case, with the dot) of the formats this decoder reads.</summary>
    public static IReadOnlyList<string> Extensions { get; } = [".png", ".jpg", ".jpeg", ".webp", ".bmp", ".gif"];

    /// <summary>Reads and decodes the image file at <paramref name="path"/>.</summary>
    public static PngImage Read(string path)
    {
        InputFile.Require(path, "an image (PNG, JPEG, WebP, BMP or GIF)");
        return Decode(File.ReadAllBytes(path), path);
    }

    /// <summary>Decodes encoded image bytes; <paramref name="source"/> names the file in messages.</summary>
    /// <exception cref="DataFormatException">Unknown format, declared size above <see cref="MaxPixels"/>, truncated or corrupt data.</exception>
    public static PngImage Decode(ReadOnlySpan<byte> bytes, string source)
    {
        using var data = SKData.CreateCopy(bytes);
        // why: the codec takes ownership of the stream it was created from (and disposes it with itself).
        var stream = new SKMemoryStream(data);
        using var codec = SKCodec.Create(stream, out var result);
        if (codec is null)
        {
            stream.Dispose();
            throw result == SKCodecResult.IncompleteInput && HasKnownSignature(bytes)
                ? Truncated(source)
                : new DataFormatException($"{source}: not a PNG, JPEG, WebP, BMP or GIF image ({result}); convert it to PNG.");
        }
        var info = codec.Info;
        if (info.Width <= 0 || info.Height <= 0 || (long)info.Width * info.Height > MaxPixels)
        {
            throw new DataFormatException(string.Create(CultureInfo.InvariantCulture,
                $"{source}: image declares {info.Width}×{info.Height} pixels, above the limit of {MaxPixels} pixels; resize it before auditing."));
        }
        var gray = info.ColorType == SKColorType.Gray8;
        var opaque = info.AlphaType == SKAlphaType.Opaque;
        // why: no colour space on the destination, so Skia copies stored values (as the PyTorch/PIL loaders do).
        var dst = gray
            ? new SKImageInfo(info.Width, info.Height, SKColorType.Gray8, SKAlphaType.Opaque)
            : new SKImageInfo(info.Width, info.Height, SKColorType.Rgba8888, opaque ? SKAlphaType.Opaque : SKAlphaType.Unpremul);
        var rgba = new byte[dst.BytesSize64];
        SKCodecResult r;
        unsafe
        {
            fixed (byte* p = rgba) r = codec.GetPixels(dst, (nint)p);
        }
        if (r == SKCodecResult.IncompleteInput) throw Truncated(source);
        if (r != SKCodecResult.Success)
            throw new DataFormatException($"{source}: {codec.EncodedFormat} image is corrupt ({r}); re-create the image.");
        if (gray) return new PngImage(info.Width, info.Height, 1, rgba);

        var channels = opaque ? 3 : IsGrayAlphaPng(bytes, codec) ? 2 : 4;
        var plane = info.Width * info.Height;
        var pixels = new byte[plane * channels];
        for (var i = 0; i < plane; i++)
        {
            switch (channels)
            {
                case 2:
                    pixels[2 * i] = rgba[4 * i];
                    pixels[2 * i + 1] = rgba[4 * i + 3];
                    break;
                case 3:
                    pixels[3 * i] = rgba[4 * i];
                    pixels[3 * i + 1] = rgba[4 * i + 1];
                    pixels[3 * i + 2] = rgba[4 * i + 2];
                    break;
                default:
                    Buffer.BlockCopy(rgba, 4 * i, pixels, 4 * i, 4);
                    break;
            }
        }
        return new PngImage(info.Width, info.Height, channels, pixels);
    }

    // why: Skia decodes gray+alpha PNG (colour type 4) as RGBA; the IHDR colour type byte (offset 25) tells it apart,
    // so such images stay gray (2 channels) as they were stored.
    private static bool IsGrayAlphaPng(ReadOnlySpan<byte> bytes, SKCodec codec) =>
        codec.EncodedFormat == SKEncodedImageFormat.Png && bytes.Length > 25 && bytes[25] == 4;

    private static bool HasKnownSignature(ReadOnlySpan<byte> b) =>
        b.StartsWith([(byte)0x89, (byte)'P', (byte)'N', (byte)'G']) || b.StartsWith([(byte)0xFF, (byte)0xD8, (byte)0xFF])
        || b.StartsWith("GIF8"u8) || b.StartsWith("BM"u8) || b.StartsWith("RIFF"u8) && b.Length >= 12 && b[8..12].SequenceEqual("WEBP"u8);

    private static DataFormatException Truncated(string source) =>
        new($"{source}: image file is truncated; re-create or re-download the image.");
}
