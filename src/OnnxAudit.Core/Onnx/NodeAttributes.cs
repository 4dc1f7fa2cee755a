using System.Text;
using Google.Protobuf;
using Onnx;

namespace OnnxAudit.Onnx;

/// <summary>Reads node attributes (with the ONNX default supplied by the caller) and builds new ones. Shared by the graph
/// analyzer, the gradient builder and the auditors.</summary>
internal static class NodeAttributes
{
    public static AttributeProto? Find(NodeProto n, string name) => n.Attribute.FirstOrDefault(a => a.Name == name);

    public static long Int(NodeProto n, string name, long fallback) => Find(n, name) is { } a ? a.I : fallback;

    public static float Float(NodeProto n, string name, float fallback) => Find(n, name) is { } a ? a.F : fallback;

    public static double Float(NodeProto n, string name, double fallback) => Find(n, name) is { } a ? a.F : fallback;

    public static double? FloatOrNull(NodeProto n, string name) => Find(n, name) is { } a ? a.F : null;

    public static string Str(NodeProto n, string name, string fallback) => Find(n, name) is { } a ? a.S.ToStringUtf8() : fallback;

    public static long[]? Ints(NodeProto n, string name) => Find(n, name) is { } a ? a.Ints.ToArray() : null;

    public static AttributeProto MakeInt(string name, long v) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = v };

    public static AttributeProto MakeFloat(string name, float v) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = v };

    public static AttributeProto MakeStr(string name, string v) => new() { Name = name, Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFrom(v, Encoding.UTF8) };

    public static AttributeProto MakeInts(string name, IEnumerable<long> v)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        a.Ints.AddRange(v);
        return a;
    }

    public static AttributeProto MakeTensor(string name, TensorProto t) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Tensor, T = t };
}
