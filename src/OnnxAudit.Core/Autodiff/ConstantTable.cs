using OnnxAudit.Onnx;
using Onnx;

namespace OnnxAudit.Autodiff;

/// <summary>Values known at graph-build time: initializers and Constant node outputs.</summary>
internal sealed class ConstantTable
{
    private readonly Dictionary<string, TensorProto> _values = new(StringComparer.Ordinal);

    public ConstantTable(GraphProto g)
    {
        foreach (var t in g.Initializer) _values[t.Name] = t;
        foreach (var n in g.Node)
        {
            if (n.OpType == "Constant" && (n.Domain is "" or "ai.onnx") && NodeAttributes.Find(n, "value") is { T: { } t } && n.Output.Count == 1)
                _values[n.Output[0]] = t;
        }
    }

    public bool Contains(string name) => _values.ContainsKey(name);

    public TensorProto? Get(string name) => _values.GetValueOrDefault(name);

    /// <summary>Integer values of a constant int64 (or int32) tensor, or null.</summary>
    public long[]? Ints(string name)
    {
        if (!_values.TryGetValue(name, out var t)) return null;
        return (TensorProto.Types.DataType)t.DataType switch
        {
            TensorProto.Types.DataType.Int64 => TensorData.ToInt64s(t),
            TensorProto.Types.DataType.Int32 => !t.RawData.IsEmpty
                ? System.Runtime.InteropServices.MemoryMarshal.Cast<byte, int>(t.RawData.Span).ToArray().Select(v => (long)v).ToArray()
                : t.Int32Data.Select(v => (long)v).ToArray(),
            _ => null,
        };
    }
}
