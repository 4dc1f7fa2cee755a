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

    private readonly Dictionary<string, (long[] Values, long[] Dims)> _folded = new(StringComparer.Ordinal);

    public bool Contains(string name) => _values.ContainsKey(name);

    /// <summary>Records an integer tensor computed at build time by <see cref="ShapeFolding"/> (shape arithmetic); its values
    /// may hold <see cref="ShapeFolding.BatchValue"/> for the symbolic batch size.</summary>
    public void AddFolded(string name, long[] values, long[] dims)
    {
        if (!_values.ContainsKey(name)) _folded[name] = (values, dims);
    }

    /// <summary>Values and dims of a constant or folded integer tensor (values may hold <see cref="ShapeFolding.BatchValue"/>), or null.</summary>
    public (long[] Values, long[] Dims)? IntTensor(string name)
    {
        if (_folded.TryGetValue(name, out var f)) return f;
        return _values.TryGetValue(name, out var t) && Ints(name) is { } v ? (v, TensorData.Dims(t)) : null;
    }

    public TensorProto? Get(string name) => _values.GetValueOrDefault(name);

    /// <summary>Integer values of a constant int64 (or int32) tensor, or null.</summary>
    public long[]? Ints(string name)
    {
        if (!_values.TryGetValue(name, out var t))
            return _folded.TryGetValue(name, out var f) && !f.Values.Contains(ShapeFolding.BatchValue) ? f.Values : null;
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
