using System.Runtime.InteropServices;
using Google.Protobuf;
using OnnxAudit.Errors;
using OnnxAudit.Onnx;
using Onnx;
using DataType = global::Onnx.TensorProto.Types.DataType;

namespace OnnxAudit.Tests.Onnx;

public class TensorDataTests
{
    /// <summary>A tensor of <paramref name="type"/> with the given raw bytes (little-endian) and dims.</summary>
    private static TensorProto Raw(DataType type, byte[] bytes, params long[] dims)
    {
        var t = new TensorProto { Name = "t", DataType = (int)type, RawData = ByteString.CopyFrom(bytes) };
        t.Dims.Add(dims);
        return t;
    }

    private static TensorProto Typed(DataType type, Action<TensorProto> fill, params long[] dims)
    {
        var t = new TensorProto { Name = "t", DataType = (int)type };
        t.Dims.Add(dims);
        fill(t);
        return t;
    }

    private static byte[] Le<T>(params T[] values) where T : unmanaged => MemoryMarshal.AsBytes(values.AsSpan()).ToArray();

    [Fact]
    public void Float_RawAndFloatData_ReadExactly()
    {
        float[] v = [1.5f, -2f, 3e38f, float.Epsilon, -0f, float.NaN];
        foreach (var t in new[] { Raw(DataType.Float, Le(v), 2, 3), Typed(DataType.Float, t => t.FloatData.Add(v), 2, 3) })
        {
            Assert.Equal(v, TensorData.ToFloats(t));
            Assert.Equal(v.Select(x => (double)x), TensorData.ToDoubles(t));
            Assert.Throws<NotSupportedException>(() => TensorData.ToInt64s(t));
        }
    }

    [Fact]
    public void Float_RawDataLittleEndianLayout_HandDerived()
    {
        // 1.0f = 0x3F800000 → bytes 00 00 80 3F; -2.0f = 0xC0000000 → 00 00 00 C0
        var t = Raw(DataType.Float, [0x00, 0x00, 0x80, 0x3F, 0x00, 0x00, 0x00, 0xC0], 2);
        Assert.Equal([1f, -2f], TensorData.ToFloats(t));
    }

    [Fact]
    public void Double_RawAndDoubleData_ReadExactly()
    {
        double[] v = [Math.PI, -1e300, 5e-324];
        foreach (var t in new[] { Raw(DataType.Double, Le(v), 3), Typed(DataType.Double, t => t.DoubleData.Add(v), 3) })
        {
            Assert.Equal(v, TensorData.ToDoubles(t));
            Assert.Equal([(float)Math.PI, float.NegativeInfinity, 0f], TensorData.ToFloats(t));
        }
    }

    [Fact]
    public void Float16_RawAndInt32Data_ConvertViaHalf()
    {
        // hand-derived IEEE half bit patterns: 0x3C00 = 1, 0xC100 = -2.5, 0x7BFF = 65504 (max),
        // 0x0001 = 2^-24 (smallest subnormal), 0x7C00 = +inf
        ushort[] bits = [0x3C00, 0xC100, 0x7BFF, 0x0001, 0x7C00];
        float[] expected = [1f, -2.5f, 65504f, MathF.Pow(2, -24), float.PositiveInfinity];
        foreach (var t in new[] { Raw(DataType.Float16, Le(bits), 5), Typed(DataType.Float16, t => t.Int32Data.Add(bits.Select(b => (int)b)), 5) })
        {
            Assert.Equal(expected, TensorData.ToFloats(t));
            Assert.Equal(expected.Select(x => (double)x), TensorData.ToDoubles(t));
            Assert.Equal(expected.Select(x => (Half)x), TensorData.ToHalfs(t));
        }
    }

    [Fact]
    public void BFloat16_RawAndInt32Data_AreHighHalfOfFloat32()
    {
        // bfloat16 = top 16 bits of float32: 0x3F80 = 1, 0x3FC0 = 1.5, 0xC020 = -2.5, 0x4049 = 3.140625, 0xFF80 = -inf
        ushort[] bits = [0x3F80, 0x3FC0, 0xC020, 0x4049, 0xFF80];
        float[] expected = [1f, 1.5f, -2.5f, 3.140625f, float.NegativeInfinity];
        foreach (var t in new[] { Raw(DataType.Bfloat16, Le(bits), 5), Typed(DataType.Bfloat16, t => t.Int32Data.Add(bits.Select(b => (int)b)), 5) })
        {
            Assert.Equal(expected, TensorData.ToFloats(t));
            Assert.Throws<NotSupportedException>(() => TensorData.ToHalfs(t));
        }
    }

    [Fact]
    public void Int8_RawAndInt32Data_SignExtend()
    {
        long[] expected = [-128, -1, 0, 127];
        foreach (var t in new[] { Raw(DataType.Int8, [0x80, 0xFF, 0x00, 0x7F], 4), Typed(DataType.Int8, t => t.Int32Data.Add([-128, -1, 0, 127]), 4) })
        {
            Assert.Equal(expected, TensorData.ToInt64s(t));
            Assert.Equal([-128f, -1f, 0f, 127f], TensorData.ToFloats(t));
        }
    }

    [Fact]
    public void UInt8_RawAndInt32Data_ZeroExtend()
    {
        foreach (var t in new[] { Raw(DataType.Uint8, [0, 1, 255], 3), Typed(DataType.Uint8, t => t.Int32Data.Add([0, 1, 255]), 3) })
        {
            Assert.Equal([0L, 1L, 255L], TensorData.ToInt64s(t));
            Assert.Equal([0d, 1d, 255d], TensorData.ToDoubles(t));
        }
    }

    [Fact]
    public void Int16_RawAndInt32Data()
    {
        short[] v = [short.MinValue, -2, short.MaxValue];
        foreach (var t in new[] { Raw(DataType.Int16, Le(v), 3), Typed(DataType.Int16, t => t.Int32Data.Add(v.Select(x => (int)x)), 3) })
            Assert.Equal([-32768L, -2L, 32767L], TensorData.ToInt64s(t));
    }

    [Fact]
    public void UInt16_RawAndInt32Data()
    {
        ushort[] v = [0, 40000, ushort.MaxValue];
        foreach (var t in new[] { Raw(DataType.Uint16, Le(v), 3), Typed(DataType.Uint16, t => t.Int32Data.Add(v.Select(x => (int)x)), 3) })
            Assert.Equal([0L, 40000L, 65535L], TensorData.ToInt64s(t));
    }

    [Fact]
    public void Int32_RawAndInt32Data()
    {
        int[] v = [int.MinValue, -7, int.MaxValue];
        foreach (var t in new[] { Raw(DataType.Int32, Le(v), 3), Typed(DataType.Int32, t => t.Int32Data.Add(v), 3) })
        {
            Assert.Equal(v.Select(x => (long)x), TensorData.ToInt64s(t));
            Assert.Equal(v.Select(x => (double)x), TensorData.ToDoubles(t));
        }
    }

    [Fact]
    public void UInt32_RawAndUInt64Data()
    {
        uint[] v = [0, 7, uint.MaxValue];
        foreach (var t in new[] { Raw(DataType.Uint32, Le(v), 3), Typed(DataType.Uint32, t => t.Uint64Data.Add(v.Select(x => (ulong)x)), 3) })
        {
            Assert.Equal([0L, 7L, 4294967295L], TensorData.ToInt64s(t));
            Assert.Equal([0UL, 7UL, 4294967295UL], TensorData.ToUInt64s(t));
        }
    }

    [Fact]
    public void Int64_RawAndInt64Data()
    {
        long[] v = [long.MinValue, -3, long.MaxValue];
        foreach (var t in new[] { Raw(DataType.Int64, Le(v), 3), Typed(DataType.Int64, t => t.Int64Data.Add(v), 3) })
        {
            Assert.Equal(v, TensorData.ToInt64s(t));
            Assert.Equal([-9.223372036854775808e18f, -3f, 9.223372036854775808e18f], TensorData.ToFloats(t));
        }
    }

    [Fact]
    public void UInt64_RawAndUInt64Data_ExactAndOverflowChecked()
    {
        ulong[] v = [0, 5, ulong.MaxValue];
        foreach (var t in new[] { Raw(DataType.Uint64, Le(v), 3), Typed(DataType.Uint64, t => t.Uint64Data.Add(v), 3) })
        {
            Assert.Equal(v, TensorData.ToUInt64s(t));
            Assert.Equal([0d, 5d, 18446744073709551615d], TensorData.ToDoubles(t));
            Assert.Throws<OverflowException>(() => TensorData.ToInt64s(t));
        }
        Assert.Equal([0L, 5L], TensorData.ToInt64s(Typed(DataType.Uint64, t => t.Uint64Data.Add([0UL, 5UL]), 2)));
    }

    [Fact]
    public void Bool_RawAndInt32Data_NonZeroIsTrue()
    {
        foreach (var t in new[] { Raw(DataType.Bool, [0, 1, 2], 3), Typed(DataType.Bool, t => t.Int32Data.Add([0, 1, 2]), 3) })
        {
            Assert.Equal([false, true, true], TensorData.ToBools(t));
            Assert.Equal([0L, 1L, 1L], TensorData.ToInt64s(t));
            Assert.Equal([0f, 1f, 1f], TensorData.ToFloats(t));
        }
    }

    [Fact]
    public void ScalarAndEmptyTensors_HaveOneAndZeroElements()
    {
        var scalar = Raw(DataType.Float, Le(2.5f));
        Assert.Equal(1, TensorData.ElementCount(scalar));
        Assert.Equal([2.5f], TensorData.ToFloats(scalar));
        var empty = Raw(DataType.Int64, [], 0, 4);
        Assert.Equal(0, TensorData.ElementCount(empty));
        Assert.Empty(TensorData.ToInt64s(empty));
    }

    [Fact]
    public void String_Throws_NotSupported()
    {
        var t = Typed(DataType.String, t => t.StringData.Add(ByteString.CopyFromUtf8("cat")), 1);
        Assert.False(TensorData.IsNumeric(t));
        var ex = Assert.Throws<NotSupportedException>(() => TensorData.ToFloats(t));
        Assert.Contains("holds strings", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(DataType.Complex64, 8)]
    [InlineData(DataType.Complex128, 16)]
    public void Complex_Throws_NotSupported(DataType type, int size)
    {
        var t = Raw(type, new byte[size], 1);
        Assert.Equal(size, TensorData.ElementSize(type));
        Assert.False(TensorData.IsNumeric(t));
        var ex = Assert.Throws<NotSupportedException>(() => TensorData.ToDoubles(t));
        Assert.Contains("complex numbers", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UnknownDataType_Throws_NotSupported()
    {
        var t = Raw((DataType)17, [1], 1); // FLOAT8E4M3FN, not read by this project
        var ex = Assert.Throws<NotSupportedException>(() => TensorData.ToFloats(t));
        Assert.Contains("data type 17", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RawDataLengthNotMatchingDims_ThrowsModelLoadException()
    {
        var t = Raw(DataType.Float, new byte[10], 3);
        t.Name = "conv1.weight";
        var ex = Assert.Throws<ModelLoadException>(() => TensorData.ToFloats(t));
        Assert.Contains("tensor 'conv1.weight'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("needs 3 elements but its raw_data holds 10 bytes", ex.Message, StringComparison.Ordinal);
        Assert.Contains("re-export it", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TypedFieldCountNotMatchingDims_ThrowsModelLoadException()
    {
        var ex = Assert.Throws<ModelLoadException>(() => TensorData.ToInt64s(Typed(DataType.Int32, t => t.Int32Data.Add([1, 2]), 3)));
        Assert.Contains("int32_data holds 2 values", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ExternalDataNotInlined_ThrowsInvalidOperation()
    {
        var t = Raw(DataType.Float, [], 3);
        t.RawData = ByteString.Empty;
        t.DataLocation = TensorProto.Types.DataLocation.External;
        Assert.Throws<InvalidOperationException>(() => TensorData.ToFloats(t));
    }

    [Fact]
    public void Builders_RoundTrip()
    {
        var f = TensorData.FromFloats("w", [2, 2], [1f, 2f, 3f, 4f]);
        Assert.Equal(DataType.Float, TensorData.ElementType(f));
        Assert.Equal([2L, 2L], TensorData.Dims(f));
        Assert.Equal([1f, 2f, 3f, 4f], TensorData.ToFloats(f));
        Assert.Equal([5L, -6L], TensorData.ToInt64s(TensorData.FromInt64s("s", [2], [5L, -6L])));
        Assert.Equal([(Half)0.5f], TensorData.ToHalfs(TensorData.FromRaw("h", [1], DataType.Float16, [(Half)0.5f])));
        Assert.Throws<ArgumentException>(() => TensorData.FromRaw("x", [1], DataType.Float, [1.0]));
        Assert.Throws<ArgumentException>(() => TensorData.FromFloats("x", [3], [1f]));
    }
}
