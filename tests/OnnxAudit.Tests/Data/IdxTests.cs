using System.Buffers.Binary;
using System.IO.Compression;
using OnnxAudit.Data;
using OnnxAudit.Errors;
using OnnxAudit.Tests.TestUtil;

namespace OnnxAudit.Tests.Data;

public sealed class IdxTests
{
    /// <summary>Builds IDX bytes: 0 0 type rank, big-endian dims, data.</summary>
    internal static byte[] MakeIdx(int[] dims, byte[] data, byte type = 0x08)
    {
        var bytes = new byte[4 + 4 * dims.Length + data.Length];
        bytes[2] = type;
        bytes[3] = (byte)dims.Length;
        for (var i = 0; i < dims.Length; i++) BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4 + 4 * i), dims[i]);
        data.CopyTo(bytes, 4 + 4 * dims.Length);
        return bytes;
    }

    internal static byte[] Gzip(byte[] data)
    {
        using var ms = new MemoryStream();
        using (var gz = new GZipStream(ms, CompressionLevel.Fastest)) gz.Write(data);
        return ms.ToArray();
    }

    /// <summary>Writes a 3-image 2×2 dataset pair with the MNIST naming in a fresh folder.</summary>
    internal static (string Images, string Labels) WritePair(bool gz, string prefix = "tiny")
    {
        var dir = RepoPaths.NewTempDir();
        var images = MakeIdx([3, 2, 2], [0, 255, 51, 102, 1, 2, 3, 4, 255, 255, 0, 0]);
        var labels = MakeIdx([3], [7, 0, 3]);
        var ext = gz ? ".gz" : "";
        var ip = Path.Combine(dir, $"{prefix}-images-idx3-ubyte{ext}");
        var lp = Path.Combine(dir, $"{prefix}-labels-idx1-ubyte{ext}");
        File.WriteAllBytes(ip, gz ? Gzip(images) : images);
        File.WriteAllBytes(lp, gz ? Gzip(labels) : labels);
        return (ip, lp);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Load_GeneratedPair_ScalesPixelsAndFindsLabels(bool gz)
    {
        var (ip, lp) = WritePair(gz);
        var ds = DatasetLoader.Load(ip);
        Assert.Equal((3, 1, 2, 2), (ds.N, ds.C, ds.H, ds.W));
        Numerics.AssertClose(expected: [0f, 1f, 0.2f, 0.4f], actual: ds.GetImage(0), atol: 1e-7, rtol: 0);
        Assert.Equal([7L, 0, 3], ds.Labels!);
        Assert.Equal(lp, ds.LabelsSource);
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(ip))), ds.Sha256);
    }

    [Fact]
    public void Load_GzImagesWithUncompressedLabels_FindsLabels()
    {
        var (ip, lp) = WritePair(gz: true);
        File.Delete(lp);
        File.WriteAllBytes(lp[..^3], MakeIdx([3], [1, 2, 3]));
        Assert.Equal([1L, 2, 3], DatasetLoader.Load(ip).Labels!);
    }

    [Fact]
    public void Load_NoLabelsFile_LoadsWithoutLabels()
    {
        var (ip, lp) = WritePair(gz: false);
        File.Delete(lp);
        var ds = DatasetLoader.Load(ip);
        Assert.False(ds.HasLabels);
        Assert.Throws<InvalidOperationException>(() => ds.GetLabel(0));
    }

    [Fact]
    public void Load_ExplicitLabelsPathMissing_Throws()
    {
        var (ip, _) = WritePair(gz: false);
        var ex = Assert.Throws<DataFormatException>(() => DatasetLoader.Load(ip, DataOptions.Default with { LabelsPath = "/nonexistent/l-idx1-ubyte" }));
        Assert.Equal("/nonexistent/l-idx1-ubyte: file not found (an IDX labels file (idx1-ubyte) was expected); check the path.", ex.Message);
    }

    [Fact]
    public void Load_LabelCountMismatch_Throws()
    {
        var (ip, lp) = WritePair(gz: false);
        File.WriteAllBytes(lp, MakeIdx([2], [1, 2]));
        var ex = Assert.Throws<DataFormatException>(() => DatasetLoader.Load(ip));
        Assert.Equal($"{lp}: has 2 labels but {ip} has 3 images; pass the labels file that belongs to these images.", ex.Message);
    }

    [Fact]
    public void Parse_Truncated_ThrowsWithCounts()
    {
        var bytes = MakeIdx([3, 2, 2], new byte[12]);
        var ex = Assert.Throws<DataFormatException>(() => IdxReader.Parse(bytes.AsSpan(0, bytes.Length - 2), "x-idx3-ubyte", 3));
        Assert.Equal("x-idx3-ubyte: file is truncated: dims 3×2×2 need 12 data bytes but only 10 are present; re-create or re-download the file.", ex.Message);
        var header = Assert.Throws<DataFormatException>(() => IdxReader.Parse(bytes.AsSpan(0, 9), "x", 3));
        Assert.Contains("truncated inside the IDX header", header.Message);
    }

    [Fact]
    public void Load_TruncatedGzip_Throws()
    {
        var (ip, _) = WritePair(gz: true);
        var bytes = File.ReadAllBytes(ip);
        File.WriteAllBytes(ip, bytes[..(bytes.Length / 2)]);
        var ex = Assert.Throws<DataFormatException>(() => DatasetLoader.Load(ip));
        Assert.StartsWith(ip + ": ", ex.Message);
        Assert.Contains("truncated", ex.Message);
    }

    [Fact]
    public void Parse_BadMagic_Throws()
    {
        var bytes = MakeIdx([3, 2, 2], new byte[12]);
        bytes[0] = 0x50;
        var ex = Assert.Throws<DataFormatException>(() => IdxReader.Parse(bytes, "x", 3));
        Assert.Equal("x: bad IDX magic 0x50000803 (expected 0x00000803); pass an MNIST-style images (idx3-ubyte) file.", ex.Message);
    }

    [Fact]
    public void Parse_WrongRank_NamesBothMagics()
    {
        var labels = MakeIdx([3], [1, 2, 3]);
        var ex = Assert.Throws<DataFormatException>(() => IdxReader.Parse(labels, "l", 3));
        Assert.Equal("l: IDX file has 1 dimensions but 3 were expected for images (idx3-ubyte) (magic 0x00000801, expected 0x00000803); pass the images (idx3-ubyte) file.", ex.Message);
    }

    [Fact]
    public void Parse_NonByteType_Throws()
    {
        var ex = Assert.Throws<DataFormatException>(() => IdxReader.Parse(MakeIdx([1, 1, 1], new byte[4], type: 0x0D), "f", 3));
        Assert.Contains("element type 0x0d is not supported", ex.Message);
    }

    [Fact]
    public void Parse_TrailingBytes_Throws()
    {
        var ex = Assert.Throws<DataFormatException>(() => IdxReader.Parse(MakeIdx([1, 2, 2], new byte[6]), "x", 3));
        Assert.Contains("2 unexpected bytes after the IDX data", ex.Message);
    }

    [Theory]
    [InlineData("/d/train-images-idx3-ubyte.gz", "/d/train-labels-idx1-ubyte.gz")]
    [InlineData("/d/t10k-images.idx3-ubyte", "/d/t10k-labels.idx1-ubyte")]
    public void FindLabelsFor_StandardNames(string images, string labels)
    {
        var dir = RepoPaths.NewTempDir();
        var ip = dir + images[2..];
        var lp = dir + labels[2..];
        File.WriteAllBytes(ip, []);
        File.WriteAllBytes(lp, []);
        Assert.Equal(lp, IdxReader.FindLabelsFor(ip));
        Assert.Null(IdxReader.FindLabelsFor(Path.Combine(dir, "data.bin")));
    }

    [Fact]
    public void Load_FashionMnistTest_RealFile()
    {
        // The bundled 2,000-image subset when present (branch models), else Debian's dataset-fashion-mnist.
        var bundled = Path.Combine(RepoPaths.Samples, "fashion-mnist-test-2000-images-idx3-ubyte.gz");
        var path = File.Exists(bundled) ? bundled : "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz";
        Assert.True(File.Exists(path), $"{path} missing (install dataset-fashion-mnist)");
        var ds = DatasetLoader.Load(path);
        Assert.Equal((1, 28, 28), (ds.C, ds.H, ds.W));
        Assert.Equal(File.Exists(bundled) ? 2000 : 10000, ds.N);
        Assert.True(ds.HasLabels);
        Assert.All(ds.Labels!, l => Assert.InRange(l, 0, 9));

        // independent decode of the same file: the pixels after the 16-byte header, divided by 255
        using var gz = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
        using var ms = new MemoryStream();
        gz.CopyTo(ms);
        var raw = ms.ToArray();
        var last = raw.AsSpan(16 + (ds.N - 1) * 784, 784).ToArray().Select(b => b / 255f).ToArray();
        Numerics.AssertClose(expected: last, actual: ds.GetImage(ds.N - 1), atol: 0, rtol: 0);
        Assert.InRange(ds.Pixels.ToArray().Max(), 0.99f, 1f);
    }

    [Fact]
    public void Load_FashionMnistT10k_KnownLabelCounts()
    {
        // t10k has exactly 1,000 images per class; its first two labels are 9 (ankle boot) and 2 (pullover).
        var ds = DatasetLoader.Load("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz", DataOptions.Default);
        Assert.Equal([9L, 2L], ds.Labels!.Take(2));
        Assert.All(ds.Labels!.GroupBy(l => l), g => Assert.Equal(1000, g.Count()));
        var limited = DatasetLoader.Load("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz", DataOptions.Default with { Limit = 5 });
        Assert.Equal(5, limited.N);
        Assert.Equal([9L, 2L, 1L, 1L, 6L], limited.Labels!);
    }
}
