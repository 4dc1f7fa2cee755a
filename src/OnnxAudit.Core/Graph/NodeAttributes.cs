using System.Text;
using OnnxAudit.Onnx.Proto;

namespace OnnxAudit.Graph;

/// <summary>Typed attribute reads with the ONNX defaults supplied by the caller.</summary>
internal static class NodeAttributes
{
    public static AttributeProto? Find(NodeProto node, string name) => node.Attribute.FirstOrDefault(a => a.Name == name);

    public static long Int(NodeProto node, string name, long fallback) => Find(node, name) is { } a ? a.I : fallback;

    public static double Float(NodeProto node, string name, double fallback) => Find(node, name) is { } a ? a.F : fallback;

    public static double? FloatOrNull(NodeProto node, string name) => Find(node, name) is { } a ? a.F : null;

    public static string String(NodeProto node, string name, string fallback) => Find(node, name) is { } a ? Encoding.UTF8.GetString(a.S.Span) : fallback;

    public static long[]? Ints(NodeProto node, string name) => Find(node, name) is { } a ? a.Ints.ToArray() : null;
}
