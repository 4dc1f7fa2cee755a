using System.Globalization;
using OnnxAudit.Onnx;
using Onnx;

namespace OnnxAudit.Autodiff;

/// <summary>
/// Appends nodes and constant initializers to a graph with fresh names, choosing the operator form that is valid
/// for the graph's default-domain opset (ReduceSum/Squeeze/Unsqueeze axes as attribute before 13, input from 13).
/// </summary>
internal sealed class GraphEmitter
{
    private readonly GraphProto _g;
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _constCache = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _shapeCache = new(StringComparer.Ordinal);
    private int _counter;

    public GraphEmitter(GraphProto g, long opset)
    {
        _g = g;
        Opset = opset;
        foreach (var t in g.Initializer) _names.Add(t.Name);
        foreach (var v in g.Input) _names.Add(v.Name);
        foreach (var n in g.Node)
        {
            foreach (var o in n.Output) _names.Add(o);
            if (n.Name.Length > 0) _names.Add(n.Name);
        }
    }

    public long Opset { get; }

    public string Fresh(string hint)
    {
        string name;
        do name = string.Create(CultureInfo.InvariantCulture, $"{hint}__ad{_counter++}");
        while (!_names.Add(name));
        return name;
    }

    public void Reserve(string name) => _names.Add(name);

    public NodeProto Node(string op, IEnumerable<string> inputs, IEnumerable<string> outputs, params AttributeProto[] attrs)
    {
        var n = new NodeProto { OpType = op, Name = Fresh("ad_" + op) };
        n.Input.AddRange(inputs);
        n.Output.AddRange(outputs);
        n.Attribute.AddRange(attrs);
        _g.Node.Add(n);
        return n;
    }

    /// <summary>Emits a single-output node and returns its output name.</summary>
    public string Op(string op, string[] inputs, params AttributeProto[] attrs)
    {
        var y = Fresh(op.ToLowerInvariant());
        Node(op, inputs, [y], attrs);
        return y;
    }

    public string ConstI64(long[] values, long[]? dims = null)
    {
        dims ??= [values.Length];
        var key = "i:" + string.Join(",", dims) + ":" + string.Join(",", values);
        if (_constCache.TryGetValue(key, out var name)) return name;
        name = Fresh("c_i64");
        _g.Initializer.Add(TensorData.FromInt64s(name, dims, values));
        return _constCache[key] = name;
    }

    public string ScalarI64(long v) => ConstI64([v], []);

    public string ConstF(float[] values, long[] dims)
    {
        var name = Fresh("c_f32");
        _g.Initializer.Add(TensorData.FromFloats(name, dims, values));
        return name;
    }

    public string ScalarF(float v)
    {
        var key = "f:" + v.ToString("R", CultureInfo.InvariantCulture);
        if (_constCache.TryGetValue(key, out var name)) return name;
        name = Fresh("c_f32");
        _g.Initializer.Add(TensorData.FromFloats(name, [], [v]));
        return _constCache[key] = name;
    }

    public string Mul(string a, string b) => Op("Mul", [a, b]);
    public string Add(string a, string b) => Op("Add", [a, b]);
    public string Sub(string a, string b) => Op("Sub", [a, b]);
    public string Div(string a, string b) => Op("Div", [a, b]);
    public string Neg(string a) => Op("Neg", [a]);

    public string Scale(string a, double s) => s == 1 ? a : s == -1 ? Neg(a) : Mul(a, ScalarF((float)s));

    public string Transpose(string x, params long[] perm) => Op("Transpose", [x], NodeAttributes.MakeInts("perm", perm));

    public string Reshape(string x, long[] shape) => Op("Reshape", [x, ConstI64(shape)]);

    /// <summary>Shape(x) as an int64 tensor (one node per tensor).</summary>
    public string ShapeOf(string x)
    {
        if (_shapeCache.TryGetValue(x, out var s)) return s;
        return _shapeCache[x] = Op("Shape", [x]);
    }

    /// <summary>Reshape <paramref name="x"/> to the runtime shape of <paramref name="like"/>.</summary>
    public string ReshapeLike(string x, string like) => Op("Reshape", [x, ShapeOf(like)]);

    public string ReduceSum(string x, long[] axes, bool keepDims)
    {
        if (axes.Length == 0) return x;
        var keep = NodeAttributes.MakeInt("keepdims", keepDims ? 1 : 0);
        return Opset >= 13
            ? Op("ReduceSum", [x, ConstI64(axes)], keep)
            : Op("ReduceSum", [x], NodeAttributes.MakeInts("axes", axes), keep);
    }

    public string Unsqueeze(string x, long[] axes) =>
        Opset >= 13 ? Op("Unsqueeze", [x, ConstI64(axes)]) : Op("Unsqueeze", [x], NodeAttributes.MakeInts("axes", axes));

    public string Slice(string x, long[] starts, long[] ends, long[] axes) =>
        Op("Slice", [x, ConstI64(starts), ConstI64(ends), ConstI64(axes)]);

    public string Pad(string x, long[] pads) => Op("Pad", [x, ConstI64(pads)]);

    public string Where(string cond, string a, string b) => Op("Where", [cond, a, b]);

    public string Cast(string x, TensorProto.Types.DataType to) => Op("Cast", [x], NodeAttributes.MakeInt("to", (long)to));

    /// <summary>Sums <paramref name="g"/> (of shape <paramref name="gShape"/>) down to <paramref name="target"/>, undoing numpy broadcasting.</summary>
    public string ReduceToShape(string g, long[] gShape, long[] target)
    {
        var lead = gShape.Length - target.Length;
        var axes = new List<long>();
        for (var i = 0; i < gShape.Length; i++)
        {
            if (i < lead) axes.Add(i);
            else if (target[i - lead] == 1 && gShape[i] != 1) axes.Add(i);
        }
        if (axes.Count == 0 && lead == 0) return g;
        var reduced = ReduceSum(g, axes.ToArray(), keepDims: true);
        return Reshape(reduced, target.Select(d => d < 0 ? -1 : d).ToArray());
    }
}
