using OnnxAudit.Onnx;
using Onnx;

namespace OnnxAudit.Autodiff;

/// <summary>Static shapes of the operators added for the torchvision classifiers (slicing, gathering, reductions,
/// normalisation, resizing, variadic elementwise ops) and of the value-dependent shape ops (Expand, Tile,
/// ConstantOfShape, Range) whose shape inputs are constant or folded by <see cref="ShapeFolding"/>.</summary>
internal static partial class ShapeInference
{
    private static long[]?[] InferMore(NodeProto n, long opset, ConstantTable consts, Func<string, long[]?> shapeOf)
    {
        long[]? In(int i) => i < n.Input.Count && n.Input[i].Length > 0 ? shapeOf(n.Input[i]) : null;
        long[]? Ints(int i) => i < n.Input.Count && n.Input[i].Length > 0 ? consts.IntTensor(n.Input[i])?.Values : null;
        var x = In(0);
        switch (n.OpType)
        {
            case "Erf" or "Gelu" or "HardSwish" or "HardSigmoid" or "Log" or "Sign" or "Not" or "Reciprocal" or "Floor" or "Ceil" or "Round":
                return [x];
            case "GreaterOrEqual" or "LessOrEqual" or "And" or "Or" or "Mod" or "Max" or "Min" or "Mean" or "Sum":
                {
                    long[]? s = x;
                    for (var i = 1; i < n.Input.Count; i++) s = s is null || In(i) is not { } o ? null : Broadcast(s, o);
                    return [s];
                }
            case "LayerNormalization":
                {
                    var axis = NodeAttributes.Int(n, "axis", -1);
                    if (axis < 0) axis += x!.Length;
                    long[] stat = [.. x![..(int)axis], .. Enumerable.Repeat(1L, x.Length - (int)axis)];
                    return [x, stat, stat];
                }
            case "ConstantOfShape":
                return [Ints(0) is { } v ? v.Select(ShapeFolding.ToDim).ToArray() : null];
            case "Range":
                {
                    if (Ints(0) is not { } a || Ints(1) is not { } b || Ints(2) is not { } d || d[0] == 0) return [null];
                    var count = Math.Max(0, (b[0] - a[0] + d[0] - (d[0] > 0 ? 1 : -1)) / d[0]);
                    return [[count]];
                }
            case "Expand":
                {
                    var target = Ints(1) ?? throw new InvalidOperationException("non-constant Expand shape");
                    return [Broadcast(x!, target.Select(ShapeFolding.ToDim).ToArray())];
                }
            case "Tile":
                {
                    var reps = Ints(1) ?? throw new InvalidOperationException("non-constant Tile repeats");
                    return [x!.Select((d, i) => reps[i] == 1 ? d : d < 0 ? throw new InvalidOperationException() : d * reps[i]).ToArray()];
                }
            case "Slice":
                {
                    var sl = SliceSpec(n, consts, x!);
                    var res = (long[])x!.Clone();
                    foreach (var (axis, start, end, step) in sl)
                        res[axis] = x[axis] >= 0 ? ShapeFolding.SliceCount(start, end, step)
                            : IsWholeBatch(start, end, step) ? Batch : throw new InvalidOperationException("slice of the batch axis");
                    return [res];
                }
            case "Gather":
                {
                    var idx = In(1)!;
                    var axis = (int)NodeAttributes.Int(n, "axis", 0);
                    if (axis < 0) axis += x!.Length;
                    return [[.. x![..axis], .. idx, .. x[(axis + 1)..]]];
                }
            case "Split":
                {
                    var axis = (int)NodeAttributes.Int(n, "axis", 0);
                    if (axis < 0) axis += x!.Length;
                    var sizes = SplitSizes(n, opset, consts, x![axis]);
                    return sizes.Select(s => { var r = (long[])x.Clone(); r[axis] = s; return r; }).ToArray<long[]?>();
                }
            case "ReduceMean" or "ReduceSum" or "ReduceMax" or "ReduceMin":
                {
                    var (axes, keep) = ReduceAxes(n, opset, consts, x!.Length);
                    if (axes.Length == 0) return [x];
                    var set = axes.ToHashSet();
                    return [keep ? x.Select((d, i) => set.Contains(i) ? 1 : d).ToArray() : x.Where((_, i) => !set.Contains(i)).ToArray()];
                }
            case "Einsum":
                {
                    var (ins, outTerm) = EinsumTerms(n, n.Input.Count);
                    var sizes = new Dictionary<char, long>();
                    for (var k = 0; k < ins.Length; k++)
                    {
                        var s = In(k)!;
                        if (s.Length != ins[k].Length) throw new InvalidOperationException("einsum rank");
                        for (var j = 0; j < s.Length; j++) sizes[ins[k][j]] = sizes.TryGetValue(ins[k][j], out var o) && o != 1 ? o : s[j];
                    }
                    return [outTerm.Select(ch => sizes[ch]).ToArray()];
                }
            case "Resize":
                {
                    var outSize = ResizeOutput(n, consts, x!);
                    return [outSize];
                }
            default:
                return [];
        }
    }

    /// <summary>Normalised (axis, start, end, step) of every sliced axis of a Slice node (opset ≥ 10 inputs).</summary>
    public static (int Axis, long Start, long End, long Step)[] SliceSpec(NodeProto n, ConstantTable consts, long[] x)
    {
        long[]? Ints(int i) => i < n.Input.Count && n.Input[i].Length > 0
            ? consts.IntTensor(n.Input[i])?.Values ?? throw new InvalidOperationException("non-constant Slice input " + i)
            : null;
        var starts = Ints(1)!;
        var ends = Ints(2)!;
        var axes = Ints(3) ?? Enumerable.Range(0, starts.Length).Select(v => (long)v).ToArray();
        var steps = Ints(4) ?? Enumerable.Repeat(1L, starts.Length).ToArray();
        var res = new (int, long, long, long)[starts.Length];
        for (var k = 0; k < starts.Length; k++)
        {
            var a = (int)(axes[k] < 0 ? axes[k] + x.Length : axes[k]);
            if (ShapeFolding.IsBatch(starts[k], out _) || ShapeFolding.IsBatch(steps[k], out _)) throw new InvalidOperationException("batch-dependent slice");
            var end = ShapeFolding.IsBatch(ends[k], out _) ? long.MaxValue : ends[k];
            var dim = x[a] < 0 ? long.MaxValue / 4 : x[a];
            var (s, e, st) = ShapeFolding.SliceRange(starts[k], end, steps[k], dim);
            res[k] = (a, s, e, st);
        }
        return res;
    }

    /// <summary>Whether a normalised slice of the batch axis keeps all of it.</summary>
    public static bool IsWholeBatch(long start, long end, long step) => start == 0 && step == 1 && end >= long.MaxValue / 4;

    /// <summary>Output sizes of a Split node along its axis: 'split' attribute (before 13) or input (from 13), else equal
    /// parts (opset 18 num_outputs: ceil-sized parts, the last smaller).</summary>
    public static long[] SplitSizes(NodeProto n, long opset, ConstantTable consts, long dim)
    {
        var split = opset >= 13
            ? (n.Input.Count > 1 && n.Input[1].Length > 0 ? consts.Ints(n.Input[1]) ?? throw new InvalidOperationException("non-constant split") : null)
            : NodeAttributes.Ints(n, "split");
        if (split is not null) return split;
        if (dim < 0) throw new InvalidOperationException("split of the batch axis");
        var parts = n.Output.Count;
        var chunk = (dim + parts - 1) / parts;
        return Enumerable.Range(0, parts).Select(i => Math.Min(chunk, dim - i * chunk)).ToArray();
    }

    /// <summary>Reduced axes (sorted, non-negative; empty = no-op) and keepdims of ReduceSum/Mean/Max/Min at any opset
    /// (axes as attribute, or input from 13 for ReduceSum and 18 for the others; noop_with_empty_axes).</summary>
    public static (long[] Axes, bool Keep) ReduceAxes(NodeProto n, long opset, ConstantTable consts, int rank)
    {
        var asInput = n.OpType == "ReduceSum" ? opset >= 13 : opset >= 18;
        var axes = asInput
            ? (n.Input.Count > 1 && n.Input[1].Length > 0 ? consts.Ints(n.Input[1]) ?? throw new InvalidOperationException("non-constant axes") : null)
            : NodeAttributes.Ints(n, "axes");
        var keep = NodeAttributes.Int(n, "keepdims", 1) != 0;
        if (axes is null || axes.Length == 0)
        {
            if (asInput && NodeAttributes.Int(n, "noop_with_empty_axes", 0) != 0) return ([], keep);
            axes = Enumerable.Range(0, rank).Select(v => (long)v).ToArray();
        }
        return (axes.Select(a => a < 0 ? a + rank : a).Distinct().Order().ToArray(), keep);
    }

    /// <summary>Input terms and output term of an Einsum equation (explicit or implicit output; no ellipsis).</summary>
    public static (string[] Inputs, string Output) EinsumTerms(NodeProto n, int inputs)
    {
        var eq = NodeAttributes.Str(n, "equation", "").Replace(" ", "", StringComparison.Ordinal);
        if (eq.Contains("...", StringComparison.Ordinal)) throw new InvalidOperationException("einsum ellipsis");
        var parts = eq.Split("->");
        var ins = parts[0].Split(',');
        if (ins.Length != inputs) throw new InvalidOperationException("einsum operand count");
        var output = parts.Length > 1 ? parts[1]
            : new string(ins.SelectMany(t => t).GroupBy(ch => ch).Where(g => g.Count() == 1).Select(g => g.Key).Order().ToArray());
        return (ins, output);
    }

    /// <summary>Output shape of a Resize node (opset ≥ 11: roi, scales, sizes inputs; scales floor the product).</summary>
    public static long[] ResizeOutput(NodeProto n, ConstantTable consts, long[] x)
    {
        if (n.Input.Count > 3 && n.Input[3].Length > 0 && consts.IntTensor(n.Input[3]) is { } sizes)
            return sizes.Values.Select(ShapeFolding.ToDim).ToArray();
        var scales = ResizeScales(n, consts) ?? throw new InvalidOperationException("non-constant Resize scales");
        return x.Select((d, i) => d < 0 ? (scales[i] == 1 ? d : throw new InvalidOperationException()) : (long)Math.Floor(d * (double)scales[i])).ToArray();
    }

    /// <summary>Constant scales input of a Resize node, or null.</summary>
    public static float[]? ResizeScales(NodeProto n, ConstantTable consts) =>
        n.Input.Count > 2 && n.Input[2].Length > 0 && consts.Get(n.Input[2]) is { } t && TensorData.ElementCount(t) > 0 ? TensorData.ToFloats(t) : null;
}
