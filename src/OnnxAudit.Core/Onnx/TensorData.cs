using System.Runtime.InteropServices;
using Google.Protobuf;
using OnnxAudit.Onnx.Proto;

namespace OnnxAudit.Onnx;

/// <summary>Typed access to tensor data stored in a <see cref="TensorProto"/> (raw_data or typed fields).
/// (Foundation version: float/int64 only; to be extended to every numeric type.)</summary>
public static class TensorData
{
    /// <summary>The tensor's dimensions.</summary>
    public static long[] Dims(TensorProto t) => t.Dims.ToArray();

    /// <summary>Number of elements (product of dims; 1 for a scalar).</summary>
    public static long ElementCount(TensorProto t) => t.Dims.Aggregate(1L, (a, b) => a * b);

    /// <summary>The data converted to float32.</summary>
    public static float[] ToFloats(TensorProto t)
    {
        if ((TensorProto.Types.DataType)t.DataType == TensorProto.Types.DataType.Float)
            return t.HasRawData ? MemoryMarshal.Cast<byte, float>(t.RawData.Span).ToArray() : t.FloatData.ToArray();
        if ((TensorProto.Types.DataType)t.DataType == TensorProto.Types.DataType.Int64)
            return ToInt64s(t).Select(v => (float)v).ToArray();
        throw new NotSupportedException($"tensor '{t.Name}': data type {t.DataType} not supported yet");
    }

    /// <summary>The data converted to int64.</summary>
    public static long[] ToInt64s(TensorProto t)
    {
        if ((TensorProto.Types.DataType)t.DataType == TensorProto.Types.DataType.Int64)
            return t.HasRawData ? MemoryMarshal.Cast<byte, long>(t.RawData.Span).ToArray() : t.Int64Data.ToArray();
        throw new NotSupportedException($"tensor '{t.Name}': data type {t.DataType} not supported yet");
    }

    /// <summary>Builds a float32 tensor stored in raw_data.</summary>
    public static TensorProto FromFloats(string name, ReadOnlySpan<long> dims, ReadOnlySpan<float> data)
    {
        var t = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float, RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(data)) };
        foreach (var d in dims) t.Dims.Add(d);
        return t;
    }

    /// <summary>Builds an int64 tensor stored in raw_data.</summary>
    public static TensorProto FromInt64s(string name, ReadOnlySpan<long> dims, ReadOnlySpan<long> data)
    {
        var t = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Int64, RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(data)) };
        foreach (var d in dims) t.Dims.Add(d);
        return t;
    }
}
