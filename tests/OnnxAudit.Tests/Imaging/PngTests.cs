using System.Buffers.Binary;
using OnnxAudit.Data;
using OnnxAudit.Errors;
using OnnxAudit.Imaging;
using OnnxAudit.Tests.TestUtil;

namespace OnnxAudit.Tests.Imaging;

public sealed class PngTests
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
    public void Read_IndependentlyEncodedFile_MatchesPillowPixels(string name, int channels)
    {
        var img = PngReader.Read(Fixture(name + ".png"));
        var expected = NpyReader.Read(Fixture(name + ".npy"));
        Assert.Equal([img.Height, img.Width, channels], expected.Shape.Select(d => (int)d));
        Assert.Equal(channels, img.Channels);
        Assert.Equal(expected.RawBytes.ToArray(), img.Pixels);
    }

    [Fact]
    public void Read_SixteenBit_ThrowsWithFix()
    {
        var ex = Assert.Throws<DataFormatException>(() => PngReader.Read(Fixture("gray16.png")));
        Assert.Equal($"{Fixture("gray16.png")}: PNG has bit depth 16 but only 8-bit images are supported; re-save it as 8-bit (e.g. PIL: img.convert('L' or 'RGB')).", ex.Message);
    }

    [Fact]
    public void Read_Interlaced_Throws()
    {
        var png = PngWriter.Encode(new byte[12], 2, 2, 3);
        png[8 + 8 + 12] = 1; // IHDR interlace byte
        var crc = Crc32.Compute(png.AsSpan(12, 4 + 13));
        BinaryPrimitives.WriteUInt32BigEndian(png.AsSpan(8 + 8 + 13), crc);
        var ex = Assert.Throws<DataFormatException>(() => PngReader.Decode(png, "i.png"));
        Assert.Equal("i.png: PNG is interlaced (Adam7), which is not supported; re-save it without interlacing.", ex.Message);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void WriteThenRead_RoundTrips(int channels)
    {
        var rng = new Random(3);
        var pixels = new byte[19 * 23 * channels];
        rng.NextBytes(pixels);
        var dir = RepoPaths.NewTempDir();
        var path = Path.Combine(dir, "x.png");
        PngWriter.Write(path, pixels, 23, 19, channels);
        var back = PngReader.Read(path);
        Assert.Equal((23, 19, channels), (back.Width, back.Height, back.Channels));
        Assert.Equal(pixels, back.Pixels);
        Assert.Single(Directory.GetFiles(dir));
    }

    [Fact]
    public void Encode_StartsWithSignatureAndIhdr()
    {
        var png = PngWriter.Encode([1, 2, 3, 4, 5, 6], 3, 2, 1);
        Assert.Equal(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, (byte)'I', (byte)'H', (byte)'D', (byte)'R', 0, 0, 0, 3, 0, 0, 0, 2, 8, 0, 0, 0, 0 }, png[..29]);
    }

    [Fact]
    public void Crc32_KnownVectors()
    {
        // the standard check value of CRC-32/ISO-HDLC, and the CRC of an empty IEND chunk (ae 42 60 82)
        Assert.Equal(0xCBF43926u, Crc32.Compute("123456789"u8));
        Assert.Equal(0xAE426082u, Crc32.Compute("IEND"u8));
    }

    [Fact]
    public void Decode_CorruptCrc_Throws()
    {
        var png = PngWriter.Encode(new byte[4], 2, 2, 1);
        png[20] ^= 0xFF; // inside IHDR data
        var ex = Assert.Throws<DataFormatException>(() => PngReader.Decode(png, "c.png"));
        Assert.Equal("c.png: PNG chunk IHDR has a bad CRC (file corrupt); re-create the image.", ex.Message);
    }

    [Fact]
    public void Decode_TruncatedOrNotPng_Throws()
    {
        var png = PngWriter.Encode(new byte[300], 20, 15, 1);
        var t = Assert.Throws<DataFormatException>(() => PngReader.Decode(png.AsSpan(0, png.Length - 20), "t.png"));
        Assert.Equal("t.png: PNG file is truncated; re-create or re-download the image.", t.Message);
        var n = Assert.Throws<DataFormatException>(() => PngReader.Decode("GIF89a......"u8, "g.png"));
        Assert.StartsWith("g.png: not a PNG file", n.Message);
    }

    [Fact]
    public void Write_BadArguments_Throw()
    {
        Assert.Throws<ArgumentException>(() => PngWriter.Encode(new byte[8], 2, 2, 2));
        Assert.Throws<ArgumentException>(() => PngWriter.Encode(new byte[5], 2, 2, 1));
    }
}
