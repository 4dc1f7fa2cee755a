using System.Buffers.Binary;
using OnnxAudit.Data;
using OnnxAudit.Errors;
using OnnxAudit.Imaging;
using OnnxAudit.Tests.Reporting;
using OnnxAudit.Tests.TestUtil;
using SkiaSharp;

namespace OnnxAudit.Tests.Imaging;

public sealed class ImageCodecTests
{
    private static string Fixture(string name) => Path.Combine(RepoPaths.Reference, "png", name);

    [Theory]
    [InlineData("gray", 1)]
    [InlineData("gray_alpha", 2)]
    [InlineData("rgb", 3)]
    [InlineData("rgba", 4)]
    [InlineData("palette", 3)]
    [InlineData("palette_trns", 4)]
    [InlineData("bilevel_1bit", 1)]
    [InlineData("all_filters", 3)]
    public void Decode_IndependentlyEncodedPng_MatchesPillowPixels(string name, int channels)
    {
        var img = ImageDecoder.Read(Fixture(name + ".png"));
        var expected = NpyReader.Read(Fixture(name + ".npy"));
        Assert.Equal([img.Height, img.Width, channels], expected.Shape.Select(d => (int)d));
        Assert.Equal(channels, img.Channels);
        Assert.Equal(expected.RawBytes.ToArray(), img.Pixels);
    }

    [Fact]
    public void Decode_SixteenBitPng_GivesEightBitGray()
    {
        var img = ImageDecoder.Read(Fixture("gray16.png"));
        Assert.Equal(1, img.Channels);
        Assert.Equal(img.Width * img.Height, img.Pixels.Length);
    }

    [Theory]
    [InlineData(SKEncodedImageFormat.Png, 0)]
    [InlineData(SKEncodedImageFormat.Webp, 0)]
    [InlineData(SKEncodedImageFormat.Jpeg, 12)] // why: JPEG is lossy even at quality 100 (colour transform, DCT rounding)
    public void Decode_SkiaEncodedRgb_MatchesPixels(SKEncodedImageFormat format, int tolerance)
    {
        const int w = 7, h = 5;
        var rgb = TestImages.Rgb(w, h);
        var img = ImageDecoder.Decode(TestImages.Encode(rgb, w, h, format), "x." + format.ToString().ToLowerInvariant());
        Assert.Equal((w, h, 3), (img.Width, img.Height, img.Channels));
        var worst = rgb.Zip(img.Pixels, (a, b) => Math.Abs(a - b)).Max();
        Assert.True(worst <= tolerance, $"{format}: largest pixel difference {worst} > {tolerance}");
    }

    [Fact]
    public void Decode_Bmp24_MatchesPixels()
    {
        const int w = 5, h = 3; // 15-byte rows: padded to 16
        var rgb = TestImages.Rgb(w, h);
        var img = ImageDecoder.Decode(TestImages.Bmp(rgb, w, h), "x.bmp");
        Assert.Equal((w, h, 3), (img.Width, img.Height, img.Channels));
        Assert.Equal(rgb, img.Pixels);
    }

    [Fact]
    public void Decode_AnimatedGif_GivesFirstFrame()
    {
        const int w = 4, h = 3;
        var first = Enumerable.Range(0, w * h).Select(i => (byte)(i * 20)).ToArray();
        var second = Enumerable.Repeat((byte)200, w * h).ToArray();
        var img = ImageDecoder.Decode(TestImages.Gif(w, h, first, second), "x.gif");
        Assert.Equal((w, h), (img.Width, img.Height));
        Assert.Equal(3, img.Channels); // GIF is palette colour: gray palette entries decode as R = G = B
        Assert.Equal(first.SelectMany(v => new[] { v, v, v }).ToArray(), img.Pixels);
    }

    [Fact]
    public void Decode_DeclaredSizeAboveLimit_ThrowsBeforeDecoding()
    {
        var png = TestPng.Gray(2, 2, (_, _) => 0);
        // IHDR width/height at bytes 16..23; recompute the chunk CRC so only the size is "wrong".
        BinaryPrimitives.WriteInt32BigEndian(png.AsSpan(16), 40_000);
        BinaryPrimitives.WriteInt32BigEndian(png.AsSpan(20), 40_000);
        BinaryPrimitives.WriteUInt32BigEndian(png.AsSpan(29), TestPng.Crc32(png[12..29]));
        var ex = Assert.Throws<DataFormatException>(() => ImageDecoder.Decode(png, "big.png"));
        Assert.Equal($"big.png: image declares 40000×40000 pixels, above the limit of {ImageDecoder.MaxPixels} pixels; resize it before auditing.", ex.Message);
    }

    [Fact]
    public void Decode_TruncatedOrUnknown_Throws()
    {
        var png = PngWriter.Encode(new byte[300 * 200], 300, 200, 1);
        var t = Assert.Throws<DataFormatException>(() => ImageDecoder.Decode(png.AsSpan(0, png.Length / 2), "t.png"));
        Assert.Equal("t.png: image file is truncated; re-create or re-download the image.", t.Message);
        var n = Assert.Throws<DataFormatException>(() => ImageDecoder.Decode("not an image at all"u8, "n.png"));
        Assert.StartsWith("n.png: not a PNG, JPEG, WebP, BMP or GIF image", n.Message);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void EncodePng_ThenDecode_RoundTripsExactly(int channels)
    {
        var rng = new Random(3);
        var pixels = new byte[19 * 23 * channels];
        rng.NextBytes(pixels);
        var dir = RepoPaths.NewTempDir();
        var path = Path.Combine(dir, "x.png");
        PngWriter.Write(path, pixels, 23, 19, channels);
        var back = ImageDecoder.Read(path);
        Assert.Equal((23, 19, channels), (back.Width, back.Height, back.Channels));
        Assert.Equal(pixels, back.Pixels);
        Assert.Single(Directory.GetFiles(dir));
    }

    [Theory]
    [InlineData(1, 0)]
    [InlineData(3, 2)]
    public void EncodePng_WritesSignatureIhdrAndColourType(int channels, byte colourType)
    {
        var png = PngWriter.Encode(new byte[3 * 2 * channels], 3, 2, channels);
        Assert.Equal(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, (byte)'I', (byte)'H', (byte)'D', (byte)'R', 0, 0, 0, 3, 0, 0, 0, 2, 8, colourType }, png[..26]);
    }

    [Fact]
    public void EncodePng_BadArguments_Throw()
    {
        Assert.Throws<ArgumentException>(() => PngWriter.Encode(new byte[8], 2, 2, 2));
        Assert.Throws<ArgumentException>(() => PngWriter.Encode(new byte[5], 2, 2, 1));
    }
}
