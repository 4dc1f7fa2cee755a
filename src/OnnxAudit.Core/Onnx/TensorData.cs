using System.Runtime.InteropServices;
using Google.Protobuf;
using OnnxAudit.Errors;
using Onnx;
using DataType = global::Onnx.TensorProto.Types.DataType;

namespace OnnxAudit.Onnx;

/// <summary>
/// Typed access to the values of a <see cref="TensorProto"/>, from raw_data (little-endian, packed) or
/// from the typed repeated fields, following the ONNX IR storage rules: FLOAT → float_data;
/// DOUBLE → double_data; INT64 → int64_data; UINT32/UINT64 → uint64_data; INT32, INT16, INT8, UINT16,
/// UINT8, BOOL, FLOAT16 and BFLOAT16 → int32_data (16-bit floats as their bit pattern).
/// All methods return fresh arrays (the caller owns them) and are thread-safe for unmodified tensors.
/// A data length that does not match the dims throws <see cref="ModelLoadException"/>; STRING and
/// COMPLEX tensors throw <see cref="NotSupportedException"/> (check <see cref="IsNumeric"/> first).
/// </summary>
public static class TensorData
{
    /// <summary>The tensor's dimensions.</summary>
    public static long[] Dims(TensorProto t) => t.Dims.ToArray();

    /// <summary>Number of elements (product of dims; 1 for a scalar).</summary>
    public static long ElementCount(TensorProto t) => t.Dims.Aggregate(1L, (a, b) => a * b);

    /// <summary>The element type (data_type field).</summary>
    public static DataType ElementType(TensorProto t) => (DataType)t.DataType;

    /// <summary>Bytes per element in raw_data; 0 for STRING and UNDEFINED (no fixed size).</summary>
    public static int ElementSize(DataType type) => type switch
    {
        DataType.Float or DataType.Int32 or DataType.Uint32 => 4,
        DataType.Double or DataType.Int64 or DataType.Uint64 or DataType.Complex64 => 8,
        DataType.Complex128 => 16,
        DataType.Float16 or DataType.Bfloat16 or DataType.Int16 or DataType.Uint16 => 2,
        DataType.Int8 or DataType.Uint8 or DataType.Bool => 1,
        _ => 0,
    };

    /// <summary>True for the real-valued types this class converts (every type but STRING, COMPLEX64,
    /// COMPLEX128 and UNDEFINED).</summary>
    public static bool IsNumeric(TensorProto t) => ElementType(t) switch
    {
        DataType.Float or DataType.Double or DataType.Float16 or DataType.Bfloat16 or DataType.Int8 or DataType.Uint8
            or DataType.Int16 or DataType.Uint16 or DataType.Int32 or DataType.Uint32 or DataType.Int64 or DataType.Uint64
            or DataType.Bool => true,
        _ => false,
    };

    /// <summary>The values converted to float32 (exact for FLOAT, FLOAT16, BFLOAT16, BOOL and small
    /// integers; rounded to nearest for DOUBLE and large integers).</summary>
    public static float[] ToFloats(TensorProto t)
    {
        var type = CheckReadable(t);
        switch (type)
        {
            case DataType.Float: return Read<float>(t, type);
            case DataType.Float16: return Array.ConvertAll(ReadHalf(t), h => (float)h);
            case DataType.Bfloat16: return Array.ConvertAll(ReadUInt16Bits(t, type), BFloat16ToFloat);
            case DataType.Double: return Array.ConvertAll(Read<double>(t, type), v => (float)v);
            default:
                if (type == DataType.Uint64) return Array.ConvertAll(ReadUInt64(t), v => (float)v);
                return Array.ConvertAll(ReadIntegers(t, type), v => (float)v);
        }
    }

    /// <summary>The values converted to float64 (exact except for int64/uint64 beyond 2^53).</summary>
    public static double[] ToDoubles(TensorProto t)
    {
        var type = CheckReadable(t);
        return type switch
        {
            DataType.Double => Read<double>(t, type),
            DataType.Float or DataType.Float16 or DataType.Bfloat16 => Array.ConvertAll(ToFloats(t), v => (double)v),
            DataType.Uint64 => Array.ConvertAll(ReadUInt64(t), v => (double)v),
            _ => Array.ConvertAll(ReadIntegers(t, type), v => (double)v),
        };
    }

    /// <summary>The values of an integer or BOOL tensor as int64 (exact). Floating-point tensors throw
    /// <see cref="NotSupportedException"/> (use <see cref="ToFloats"/>); UINT64 values above
    /// <see cref="long.MaxValue"/> throw <see cref="OverflowException"/>.</summary>
    public static long[] ToInt64s(TensorProto t)
    {
        var type = CheckReadable(t);
        if (type is DataType.Float or DataType.Double or DataType.Float16 or DataType.Bfloat16)
            throw new NotSupportedException($"tensor '{t.Name}' has floating-point type {type}; ToInt64s reads integer and BOOL tensors only, use ToFloats or ToDoubles.");
        if (type == DataType.Uint64)
            return Array.ConvertAll(ReadUInt64(t), v => v > long.MaxValue ? throw new OverflowException($"tensor '{t.Name}': UINT64 value {v} does not fit in int64; use ToUInt64s.") : (long)v);
        return ReadIntegers(t, type);
    }

    /// <summary>The values of a UINT64 or UINT32 tensor (exact).</summary>
    public static ulong[] ToUInt64s(TensorProto t)
    {
        var type = CheckReadable(t);
        return type switch
        {
            DataType.Uint64 => ReadUInt64(t),
            DataType.Uint32 => Array.ConvertAll(ReadUInt64(t), v => v),
            _ => throw WrongType(t, type, "UINT64 or UINT32", nameof(ToUInt64s)),
        };
    }

    /// <summary>The values of a FLOAT16 tensor as <see cref="Half"/> (exact).</summary>
    public static Half[] ToHalfs(TensorProto t)
    {
        var type = CheckReadable(t);
        return type == DataType.Float16 ? ReadHalf(t) : throw WrongType(t, type, "FLOAT16", nameof(ToHalfs));
    }

    /// <summary>The values of a BOOL tensor (any non-zero byte is true).</summary>
    public static bool[] ToBools(TensorProto t)
    {
        var type = CheckReadable(t);
        return type == DataType.Bool ? Array.ConvertAll(ReadIntegers(t, type), v => v != 0) : throw WrongType(t, type, "BOOL", nameof(ToBools));
    }

    /// <summary>Builds a float32 tensor stored in raw_data.</summary>
    public static TensorProto FromFloats(string name, ReadOnlySpan<long> dims, ReadOnlySpan<float> data) => FromRaw(name, dims, DataType.Float, data);

    /// <summary>Builds an int64 tensor stored in raw_data.</summary>
    public static TensorProto FromInt64s(string name, ReadOnlySpan<long> dims, ReadOnlySpan<long> data) => FromRaw(name, dims, DataType.Int64, data);

    /// <summary>Builds a tensor of <paramref name="type"/> whose raw_data is the little-endian bytes of
    /// <paramref name="data"/>; <typeparamref name="T"/> must have the element size of the type
    /// (e.g. <see cref="Half"/> or <see cref="ushort"/> bits for FLOAT16/BFLOAT16, byte for BOOL).</summary>
    public static TensorProto FromRaw<T>(string name, ReadOnlySpan<long> dims, DataType type, ReadOnlySpan<T> data) where T : unmanaged
    {
        var size = ElementSize(type);
        if (size == 0 || size != Marshal.SizeOf<T>())
            throw new ArgumentException($"element type {typeof(T).Name} does not match {type} ({size} bytes per element)", nameof(data));
        EnsureLittleEndian();
        long count = 1;
        foreach (var d in dims) count *= d;
        if (count != data.Length)
            throw new ArgumentException($"{data.Length} values do not fill dims [{string.Join(", ", dims.ToArray())}] ({count} elements)", nameof(data));
        var t = new TensorProto { Name = name, DataType = (int)type, RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(data)) };
        foreach (var d in dims) t.Dims.Add(d);
        return t;
    }

    /// <summary>Converts a bfloat16 bit pattern (the high 16 bits of a float32) to float32 (exact).</summary>
    public static float BFloat16ToFloat(ushort bits) => BitConverter.Int32BitsToSingle(bits << 16);

    private static DataType CheckReadable(TensorProto t)
    {
        if (t.DataLocation == TensorProto.Types.DataLocation.External)
            throw new InvalidOperationException($"tensor '{t.Name}' still refers to external data; load the model with OnnxModel.Load, which inlines external data.");
        var type = ElementType(t);
        if (!IsNumeric(t))
        {
            throw new NotSupportedException(type switch
            {
                DataType.String => $"tensor '{t.Name}' holds strings, which have no numeric value; read string_data directly.",
                DataType.Complex64 or DataType.Complex128 => $"tensor '{t.Name}' holds complex numbers ({type}), which have no real-valued conversion; read the interleaved (re, im) values from raw_data or float_data/double_data.",
                _ => $"tensor '{t.Name}' has data type {(int)type} ({type}), which is not a numeric type this reader knows; re-export the model with a standard data type.",
            });
        }
        return type;
    }

    private static NotSupportedException WrongType(TensorProto t, DataType actual, string expected, string method) =>
        new($"tensor '{t.Name}' has type {actual}; {method} reads {expected} tensors only, use ToFloats, ToDoubles or ToInt64s to convert.");

    private static ModelLoadException BadLength(TensorProto t, DataType type, long have, string unit, string field)
    {
        var count = ElementCount(t);
        return new ModelLoadException($"tensor '{t.Name}' of type {type} and dims [{string.Join(", ", t.Dims)}] needs {count} elements but its {field} holds {have} {unit}; the model is corrupt, re-export it.");
    }

    private static void EnsureLittleEndian()
    {
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("ONNX raw_data is little-endian; big-endian hosts are not supported.");
    }

    /// <summary>Raw bytes reinterpreted as T, with the length checked against the dims.</summary>
    private static T[] RawAs<T>(TensorProto t, DataType type) where T : unmanaged
    {
        EnsureLittleEndian();
        var size = Marshal.SizeOf<T>();
        var span = t.RawData.Span;
        if (span.Length != ElementCount(t) * size) throw BadLength(t, type, span.Length, "bytes", "raw_data");
        return MemoryMarshal.Cast<byte, T>(span).ToArray();
    }

    private static void CheckCount(TensorProto t, DataType type, int have, string field)
    {
        if (have != ElementCount(t)) throw BadLength(t, type, have, "values", field);
    }

    /// <summary>FLOAT from raw_data or float_data; DOUBLE from raw_data or double_data.</summary>
    private static T[] Read<T>(TensorProto t, DataType type) where T : unmanaged
    {
        if (!t.RawData.IsEmpty) return RawAs<T>(t, type);
        if (typeof(T) == typeof(float))
        {
            CheckCount(t, type, t.FloatData.Count, "float_data");
            return (T[])(object)t.FloatData.ToArray();
        }
        CheckCount(t, type, t.DoubleData.Count, "double_data");
        return (T[])(object)t.DoubleData.ToArray();
    }

    private static ushort[] ReadUInt16Bits(TensorProto t, DataType type)
    {
        if (!t.RawData.IsEmpty) return RawAs<ushort>(t, type);
        CheckCount(t, type, t.Int32Data.Count, "int32_data");
        return t.Int32Data.Select(v => unchecked((ushort)v)).ToArray();
    }

    private static Half[] ReadHalf(TensorProto t) => Array.ConvertAll(ReadUInt16Bits(t, DataType.Float16), BitConverter.UInt16BitsToHalf);

    private static ulong[] ReadUInt64(TensorProto t)
    {
        var type = ElementType(t);
        if (type == DataType.Uint32)
        {
            if (!t.RawData.IsEmpty) return Array.ConvertAll(RawAs<uint>(t, type), v => (ulong)v);
            CheckCount(t, type, t.Uint64Data.Count, "uint64_data");
            return t.Uint64Data.Select(v => (ulong)(uint)v).ToArray();
        }
        if (!t.RawData.IsEmpty) return RawAs<ulong>(t, type);
        CheckCount(t, type, t.Uint64Data.Count, "uint64_data");
        return t.Uint64Data.ToArray();
    }

    /// <summary>Every integer type except UINT64 (and BOOL) as int64, exactly.</summary>
    private static long[] ReadIntegers(TensorProto t, DataType type)
    {
        if (type == DataType.Int64)
        {
            if (!t.RawData.IsEmpty) return RawAs<long>(t, type);
            CheckCount(t, type, t.Int64Data.Count, "int64_data");
            return t.Int64Data.ToArray();
        }
        if (type == DataType.Uint32) return Array.ConvertAll(ReadUInt64(t), v => (long)v);
        if (!t.RawData.IsEmpty)
        {
            return type switch
            {
                DataType.Int32 => Array.ConvertAll(RawAs<int>(t, type), v => (long)v),
                DataType.Int16 => Array.ConvertAll(RawAs<short>(t, type), v => (long)v),
                DataType.Uint16 => Array.ConvertAll(RawAs<ushort>(t, type), v => (long)v),
                DataType.Int8 => Array.ConvertAll(RawAs<sbyte>(t, type), v => (long)v),
                DataType.Uint8 => Array.ConvertAll(RawAs<byte>(t, type), v => (long)v),
                DataType.Bool => Array.ConvertAll(RawAs<byte>(t, type), v => v != 0 ? 1L : 0L),
                _ => throw new NotSupportedException($"tensor '{t.Name}': {type} is not an integer type."),
            };
        }
        CheckCount(t, type, t.Int32Data.Count, "int32_data");
        // why: the IR stores these narrow types widened in int32_data; narrow back to the declared width
        // (an out-of-range value, which a valid model never has, wraps as a C cast would).
        return type switch
        {
            DataType.Int32 => t.Int32Data.Select(v => (long)v).ToArray(),
            DataType.Int16 => t.Int32Data.Select(v => (long)unchecked((short)v)).ToArray(),
            DataType.Uint16 => t.Int32Data.Select(v => (long)unchecked((ushort)v)).ToArray(),
            DataType.Int8 => t.Int32Data.Select(v => (long)unchecked((sbyte)v)).ToArray(),
            DataType.Uint8 => t.Int32Data.Select(v => (long)unchecked((byte)v)).ToArray(),
            DataType.Bool => t.Int32Data.Select(v => v != 0 ? 1L : 0L).ToArray(),
            _ => throw new NotSupportedException($"tensor '{t.Name}': {type} is not an integer type."),
        };
    }
}
