using System.Text.Json;
using OnnxAudit.Data;
using OnnxAudit.Errors;
using OnnxAudit.Tests.TestUtil;

namespace OnnxAudit.Tests.Data;

public sealed class NpyTests
{
    private static string Fixture(string name) => Path.Combine(RepoPaths.Reference, "data", name);

    private static JsonElement Expected(string name)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Fixture("expected.json")));
        return doc.RootElement.GetProperty("files").GetProperty(name).Clone();
    }

    [Theory]
    [InlineData("gray_u8_5x6x7.npy")]
    [InlineData("rgb_f4_nchw_4x3x5x6.npy")]
    [InlineData("f8_2x3.npy")]
    [InlineData("f4_big_endian_2x3.npy")]
    [InlineData("f4_v2_2x3.npy")]
    [InlineData("f4_v3_2x3.npy")]
    [InlineData("i8_labels_4.npy")]
    [InlineData("u1_labels_4.npy")]
    [InlineData("bool_3.npy")]
    [InlineData("scalar_f4.npy")]
    public void Read_NumpyWrittenFile_MatchesShapeSumAndFirst(string name)
    {
        var e = Expected(name);
        var a = NpyReader.Read(Fixture(name));
        Assert.Equal(e.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()), a.Shape);
        var values = a.ToFloat64();
        Numerics.AssertClose(expected: e.GetProperty("sum").GetDouble(), actual: values.Sum(), atol: 1e-9, rtol: 1e-9, what: name + " sum");
        Numerics.AssertClose(expected: e.GetProperty("first").GetDouble(), actual: values[0], atol: 0, rtol: 0, what: name + " first");
    }

    [Fact]
    public void Read_VersionsAndByteOrder_GiveSameValues()
    {
        var v1 = NpyReader.ReadFloat32(Fixture("f4_big_endian_2x3.npy"));
        var v2 = NpyReader.ReadFloat32(Fixture("f4_v2_2x3.npy"));
        var v3 = NpyReader.ReadFloat32(Fixture("f4_v3_2x3.npy"));
        float[] expected = [0f, 0.125f, 0.25f, 0.375f, 0.5f, 0.625f];
        Numerics.AssertClose(expected: expected, actual: v1.Data, atol: 0, rtol: 0);
        Numerics.AssertClose(expected: expected, actual: v2.Data, atol: 0, rtol: 0);
        Numerics.AssertClose(expected: expected, actual: v3.Data, atol: 0, rtol: 0);
        Assert.Equal([2L, 3L], v3.Shape);
    }

    [Fact]
    public void ReadInt64_IntegerLabels_ExactValues()
    {
        Assert.Equal([0L, 9, 2, 7], NpyReader.ReadInt64(Fixture("i8_labels_4.npy")).Data);
        Assert.Equal([0L, 9, 2, 7], NpyReader.ReadInt64(Fixture("u1_labels_4.npy")).Data);
    }

    [Fact]
    public void ReadInt64_FloatArray_ThrowsDataFormatException()
    {
        var ex = Assert.Throws<DataFormatException>(() => NpyReader.ReadInt64(Fixture("f8_2x3.npy")));
        Assert.Contains("<f8 but integers were expected", ex.Message);
    }

    [Theory]
    [InlineData("f4_fortran_2x3.npy", "Fortran (column-major) order")]
    [InlineData("c8_complex_2.npy", "dtype '<c8' is not supported")]
    [InlineData("structured_2.npy", "no simple 'descr'")]
    public void Read_UnsupportedFile_ThrowsOneLineMessage(string name, string fragment)
    {
        var ex = Assert.Throws<DataFormatException>(() => NpyReader.Read(Fixture(name)));
        Assert.Contains(fragment, ex.Message);
        Assert.Contains(name, ex.Message);
        Assert.DoesNotContain('\n', ex.Message);
    }

    [Fact]
    public void WriteThenRead_Float32_RoundTrips()
    {
        var dir = RepoPaths.NewTempDir();
        var path = Path.Combine(dir, "x.npy");
        float[] data = [1.5f, -2f, float.Epsilon, 3.25e10f, 0f, 7f];
        NpyWriter.Write(path, data, [3, 2]);
        var (back, shape) = NpyReader.ReadFloat32(path);
        Assert.Equal([3L, 2L], shape);
        Numerics.AssertClose(expected: data, actual: back, atol: 0, rtol: 0);
        Assert.Equal(128 + 6 * 4, new FileInfo(path).Length); // header padded to a multiple of 64, then data
        Assert.Single(Directory.GetFiles(dir)); // no temp file left behind
    }

    [Fact]
    public void Write_HeaderIsV1PaddedTo64_LikeNumpy()
    {
        var header = NpyWriter.BuildHeader("<f4", [2, 3]);
        Assert.Equal(128, header.Length); // 10 + 60 dict chars + \n → next multiple of 64
        Assert.All(new long[][] { [], [1], [123456, 7], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12] },
            shape => Assert.Equal(0, NpyWriter.BuildHeader("<f4", shape).Length % 64));
        Assert.Equal((byte)'\n', header[^1]);
        var text = System.Text.Encoding.ASCII.GetString(header, 10, header.Length - 10);
        Assert.StartsWith("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", text);
        Assert.Contains("(5,)", System.Text.Encoding.ASCII.GetString(NpyWriter.BuildHeader("<i8", [5])));
    }

    [Fact]
    public void Write_Header_ByteIdenticalToNumpyFile()
    {
        // f8_2x3.npy was written by numpy.save; our encoder must produce the same bytes for the same array.
        var numpyBytes = File.ReadAllBytes(Fixture("f8_2x3.npy"));
        var dir = RepoPaths.NewTempDir();
        var path = Path.Combine(dir, "f8.npy");
        NpyWriter.Write(path, (ReadOnlySpan<double>)[0, 0.125, 0.25, 0.375, 0.5, 0.625], [2, 3]);
        Assert.Equal(numpyBytes, File.ReadAllBytes(path));
    }

    [Fact]
    public void Write_ScalarAndVector_ByteIdenticalToNumpyFiles()
    {
        var dir = RepoPaths.NewTempDir();
        NpyWriter.Write(Path.Combine(dir, "s.npy"), (ReadOnlySpan<float>)[2.5f], []);
        Assert.Equal(File.ReadAllBytes(Fixture("scalar_f4.npy")), File.ReadAllBytes(Path.Combine(dir, "s.npy")));
        NpyWriter.Write(Path.Combine(dir, "l.npy"), (ReadOnlySpan<long>)[0L, 9, 2, 7], [4]);
        Assert.Equal(File.ReadAllBytes(Fixture("i8_labels_4.npy")), File.ReadAllBytes(Path.Combine(dir, "l.npy")));
        NpyWriter.Write(Path.Combine(dir, "u.npy"), NpyReader.Read(Fixture("gray_u8_5x6x7.npy")).RawBytes, [5, 6, 7]);
        Assert.Equal(File.ReadAllBytes(Fixture("gray_u8_5x6x7.npy")), File.ReadAllBytes(Path.Combine(dir, "u.npy")));
    }

    [Fact]
    public void WriteThenRead_Int64AndUInt8_RoundTrip()
    {
        var dir = RepoPaths.NewTempDir();
        NpyWriter.Write(Path.Combine(dir, "l.npy"), (ReadOnlySpan<long>)[5L, -1L, long.MaxValue], [3]);
        Assert.Equal([5L, -1L, long.MaxValue], NpyReader.ReadInt64(Path.Combine(dir, "l.npy")).Data);
        NpyWriter.Write(Path.Combine(dir, "b.npy"), (ReadOnlySpan<byte>)[0, 255, 7, 8], [1, 2, 2]);
        var b = NpyReader.Read(Path.Combine(dir, "b.npy"));
        Assert.Equal("|u1", b.DType.Descr);
        Assert.Equal([0L, 255, 7, 8], b.ToInt64());
    }

    [Fact]
    public void Write_ShapeMismatch_ThrowsArgumentException()
    {
        var dir = RepoPaths.NewTempDir();
        Assert.Throws<ArgumentException>(() => NpyWriter.Write(Path.Combine(dir, "x.npy"), new float[5], [2, 3]));
        Assert.Empty(Directory.GetFiles(dir));
    }

    [Fact]
    public void Read_TruncatedData_ThrowsWithByteCounts()
    {
        var bytes = File.ReadAllBytes(Fixture("f8_2x3.npy"));
        var ex = Assert.Throws<DataFormatException>(() => NpyReader.Parse(bytes.AsSpan(0, bytes.Length - 5), "t.npy"));
        Assert.Equal("t.npy: file is truncated: shape (2, 3) of <f8 needs 48 data bytes but only 43 are present; re-create or re-download the file.", ex.Message);
    }

    [Fact]
    public void Read_TruncatedHeader_Throws()
    {
        var bytes = File.ReadAllBytes(Fixture("f8_2x3.npy"));
        var ex = Assert.Throws<DataFormatException>(() => NpyReader.Parse(bytes.AsSpan(0, 30), "t.npy"));
        Assert.Contains("truncated inside the .npy header", ex.Message);
    }

    [Fact]
    public void Read_TrailingBytes_Throws()
    {
        var bytes = File.ReadAllBytes(Fixture("f8_2x3.npy")).Concat(new byte[3]).ToArray();
        var ex = Assert.Throws<DataFormatException>(() => NpyReader.Parse(bytes, "t.npy"));
        Assert.Contains("3 unexpected bytes after the array data", ex.Message);
    }

    [Fact]
    public void Read_BadMagic_Throws()
    {
        var ex = Assert.Throws<DataFormatException>(() => NpyReader.Parse("PK\x03\x04 not numpy"u8, "zip.npy"));
        Assert.StartsWith("zip.npy: not a NumPy .npy file", ex.Message);
    }

    [Fact]
    public void Read_UnknownVersion_Throws()
    {
        var bytes = File.ReadAllBytes(Fixture("f8_2x3.npy"));
        bytes[6] = 4;
        var ex = Assert.Throws<DataFormatException>(() => NpyReader.Parse(bytes, "v4.npy"));
        Assert.Contains("format version 4.0 is not supported", ex.Message);
    }

    [Fact]
    public void Read_MissingFileAndDirectory_Throw()
    {
        var dir = RepoPaths.NewTempDir();
        var missing = Assert.Throws<DataFormatException>(() => NpyReader.Read(Path.Combine(dir, "nope.npy")));
        Assert.Contains("nope.npy: file not found", missing.Message);
        var isDir = Assert.Throws<DataFormatException>(() => NpyReader.Read(dir));
        Assert.Contains("is a directory", isDir.Message);
    }
}
