using System.Buffers.Binary;
using OnnxAudit.Errors;

namespace OnnxAudit.Data;

/// <summary>
/// One array read from a NumPy <c>.npy</c> file: its dtype, shape (C order) and raw little-endian bytes.
/// Immutable; convert with <see cref="ToFloat32"/>, <see cref="ToFloat64"/> or <see cref="ToInt64"/>.
/// Thread-safe for reading.
/// </summary>
public sealed class NpyArray
{
    private readonly byte[] _raw;

    internal NpyArray(string source, NpyDType dtype, long[] shape, byte[] raw)
    {
        Source = source;
        DType = dtype;
        Shape = shape;
        _raw = raw;
    }

    /// <summary>The file (or stream name) the array came from, for messages.</summary>
    public string Source { get; }

    /// <summary>The element type (kind and size; bytes are already little-endian in memory).</summary>
    public NpyDType DType { get; }

    /// <summary>The shape in C (row-major) order; empty for a 0-d array. Do not modify.</summary>
    public long[] Shape { get; }

    /// <summary>The number of elements (product of <see cref="Shape"/>).</summary>
    public long Count => _raw.Length / DType.ItemSize;

    /// <summary>True for float16/32/64 arrays.</summary>
    public bool IsFloat => DType.Kind == 'f';

    /// <summary>True for signed/unsigned integer and bool arrays.</summary>
    public bool IsInteger => DType.Kind is 'i' or 'u' or 'b';

    /// <summary>The raw element bytes (little-endian, C order). Valid as long as this object lives.</summary>
    public ReadOnlySpan<byte> RawBytes => _raw;

    /// <summary>The elements converted to float32 (float64 is rounded, integers converted exactly where representable).</summary>
    public float[] ToFloat32()
    {
        var n = checked((int)Count);
        var result = new float[n];
        var raw = _raw.AsSpan();
        switch (DType.Kind, DType.ItemSize)
        {
            case ('f', 4):
                for (var i = 0; i < n; i++) result[i] = BinaryPrimitives.ReadSingleLittleEndian(raw[(4 * i)..]);
                break;
            default:
                for (var i = 0; i < n; i++) result[i] = (float)ReadDouble(raw, i);
                break;
        }
        return result;
    }

    /// <summary>The elements converted to float64.</summary>
    public double[] ToFloat64()
    {
        var n = checked((int)Count);
        var result = new double[n];
        for (var i = 0; i < n; i++) result[i] = ReadDouble(_raw, i);
        return result;
    }

    /// <summary>
    /// The elements as int64. Integer and bool arrays convert exactly (uint64 above <see cref="long.MaxValue"/> is an error);
    /// float arrays are rejected with a <see cref="DataFormatException"/> (labels must be stored as integers).
    /// </summary>
    public long[] ToInt64()
    {
        if (!IsInteger)
        {
            throw new DataFormatException($"{Source}: array has dtype {DType.Descr} but integers were expected; save it with an integer dtype (e.g. np.save(path, a.astype(np.int64))).");
        }
        var n = checked((int)Count);
        var result = new long[n];
        var raw = _raw.AsSpan();
        for (var i = 0; i < n; i++)
        {
            var s = raw.Slice(i * DType.ItemSize, DType.ItemSize);
            result[i] = (DType.Kind, DType.ItemSize) switch
            {
                ('b', 1) or ('u', 1) => s[0],
                ('i', 1) => (sbyte)s[0],
                ('i', 2) => BinaryPrimitives.ReadInt16LittleEndian(s),
                ('u', 2) => BinaryPrimitives.ReadUInt16LittleEndian(s),
                ('i', 4) => BinaryPrimitives.ReadInt32LittleEndian(s),
                ('u', 4) => BinaryPrimitives.ReadUInt32LittleEndian(s),
                ('i', 8) => BinaryPrimitives.ReadInt64LittleEndian(s),
                ('u', 8) => BinaryPrimitives.ReadUInt64LittleEndian(s) <= long.MaxValue
                    ? (long)BinaryPrimitives.ReadUInt64LittleEndian(s)
                    : throw new DataFormatException($"{Source}: element {i} is a uint64 larger than int64 can hold; store the array as int64."),
                _ => throw new DataFormatException($"{Source}: unsupported integer dtype {DType.Descr}; store the array as int64."),
            };
        }
        return result;
    }

    private double ReadDouble(ReadOnlySpan<byte> raw, int i)
    {
        var s = raw.Slice(i * DType.ItemSize, DType.ItemSize);
        return (DType.Kind, DType.ItemSize) switch
        {
            ('f', 2) => (double)BinaryPrimitives.ReadHalfLittleEndian(s),
            ('f', 4) => BinaryPrimitives.ReadSingleLittleEndian(s),
            ('f', 8) => BinaryPrimitives.ReadDoubleLittleEndian(s),
            ('b', 1) or ('u', 1) => s[0],
            ('i', 1) => (sbyte)s[0],
            ('i', 2) => BinaryPrimitives.ReadInt16LittleEndian(s),
            ('u', 2) => BinaryPrimitives.ReadUInt16LittleEndian(s),
            ('i', 4) => BinaryPrimitives.ReadInt32LittleEndian(s),
            ('u', 4) => BinaryPrimitives.ReadUInt32LittleEndian(s),
            ('i', 8) => BinaryPrimitives.ReadInt64LittleEndian(s),
            ('u', 8) => BinaryPrimitives.ReadUInt64LittleEndian(s),
            _ => throw new DataFormatException($"{Source}: unsupported dtype {DType.Descr}; store the array as float32, float64 or an integer type."),
        };
    }
}

/// <summary>A NumPy scalar dtype: kind ('f' float, 'i' signed, 'u' unsigned, 'b' bool) and item size in bytes.</summary>
/// <param name="Kind">'f', 'i', 'u' or 'b'.</param>
/// <param name="ItemSize">Bytes per element (1, 2, 4 or 8).</param>
/// <param name="Descr">The descriptor as written in the file header (e.g. "&lt;f4", "|u1").</param>
public sealed record NpyDType(char Kind, int ItemSize, string Descr);
