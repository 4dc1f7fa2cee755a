using OnnxAudit.Onnx;
using Onnx;

namespace OnnxAudit.Autodiff;

/// <summary>
/// A small static shape pass for the operators the gradient builder supports (plus Constant, Shape, Cast).
/// Dimensions are concrete, or <see cref="Batch"/> for the symbolic batch size (−k for k·N, from folded shape arithmetic). Tensors whose shape cannot be
/// derived are simply absent. (Internal to Autodiff; the graph analyzer has its own pass — to be deduplicated.)
/// </summary>
internal static partial class ShapeInference
{
    /// <summary>The symbolic batch dimension.</summary>
    public const long Batch = -1;

    public static Dictionary<string, long[]> Infer(GraphProto g, long opset, ConstantTable consts)
    {
        var shapes = new Dictionary<string, long[]>(StringComparer.Ordinal);
        foreach (var t in g.Initializer) shapes[t.Name] = TensorData.Dims(t);
        foreach (var vi in g.Input)
        {
            if (shapes.ContainsKey(vi.Name) || vi.Type?.TensorType?.Shape is not { } sh) continue;
            var dims = new long[sh.Dim.Count];
            var ok = true;
            for (var i = 0; i < dims.Length; i++)
            {
                var d = sh.Dim[i];
                if (d.ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue && d.DimValue > 0) dims[i] = d.DimValue;
                else if (i == 0) dims[i] = Batch;
                else ok = false;
            }
            if (ok) shapes[vi.Name] = dims;
        }
        foreach (var n in g.Node)
        {
            // why: an input of unknown shape (e.g. produced by an operator this pass does not know) leaves the outputs
            // unknown; the builder then reports the unsupported operator instead of failing here.
            if (n.Input.Any(i => i.Length > 0 && !shapes.ContainsKey(i))) continue;
            long[]?[] outs;
            try
            {
                outs = InferNode(n, opset, consts, name => shapes.GetValueOrDefault(name));
            }
            catch (Exception ex) when (ex is IndexOutOfRangeException or ArgumentException or InvalidOperationException or DivideByZeroException)
            {
                continue;
            }
            for (var i = 0; i < outs.Length && i < n.Output.Count; i++)
                if (outs[i] is { } s && n.Output[i].Length > 0) shapes[n.Output[i]] = s;
            ShapeFolding.Fold(n, opset, consts, shapes);
        }
        return shapes;
    }

    /// <summary>Numpy broadcasting of two shapes (Batch treated as unknown-but-equal).</summary>
    public static long[] Broadcast(long[] a, long[] b)
    {
        var r = Math.Max(a.Length, b.Length);
        var res = new long[r];
        for (var i = 0; i < r; i++)
        {
            var da = i - (r - a.Length) >= 0 ? a[i - (r - a.Length)] : 1;
            var db = i - (r - b.Length) >= 0 ? b[i - (r - b.Length)] : 1;
            res[i] = da == 1 ? db : db == 1 ? da : da == db ? da : da == Batch ? db : db == Batch ? da
                : throw new ArgumentException($"shapes [{string.Join(",", a)}] and [{string.Join(",", b)}] do not broadcast");
        }
        return res;
    }

    private static long[]?[] InferNode(NodeProto n, long opset, ConstantTable consts, Func<string, long[]?> shapeOf)
    {
        long[]? In(int i) => i < n.Input.Count && n.Input[i].Length > 0 ? shapeOf(n.Input[i]) : null;
        var x = In(0);
        switch (n.OpType)
        {
            case "Relu" or "LeakyRelu" or "PRelu" or "Sigmoid" or "Tanh" or "Elu" or "Softplus" or "Clip" or "Identity"
                or "Softmax" or "LogSoftmax" or "Cast" or "Neg" or "Exp" or "Sqrt" or "Abs":
                return [x];
            case "Dropout":
                return [x, x];
            case "BatchNormalization":
                return [x];
            case "Add" or "Sub" or "Mul" or "Div" or "Pow" or "Where" or "Equal" or "Greater" or "Less":
                {
                    long[]? s = x;
                    for (var i = 1; i < n.Input.Count; i++) s = s is null || In(i) is not { } o ? null : Broadcast(s, o);
                    return [s];
                }
            case "Constant":
                return [NodeAttributes.Find(n, "value") is { T: { } t } ? TensorData.Dims(t) : null];
            case "Shape":
                return [x is null ? null : [x.Length]];
            case "Gemm":
                {
                    var a = x!; var b = In(1)!;
                    var m = NodeAttributes.Int(n, "transA", 0) != 0 ? a[1] : a[0];
                    var nn = NodeAttributes.Int(n, "transB", 0) != 0 ? b[0] : b[1];
                    return [[m, nn]];
                }
            case "MatMul":
                {
                    var a = x!; var b = In(1)!;
                    var a2 = a.Length == 1 ? [1, a[0]] : a;
                    var b2 = b.Length == 1 ? [b[0], 1] : b;
                    var batch = Broadcast(a2[..^2], b2[..^2]);
                    var res = new List<long>(batch);
                    if (a.Length > 1) res.Add(a2[^2]);
                    if (b.Length > 1) res.Add(b2[^1]);
                    return [res.ToArray()];
                }
            case "Conv" or "MaxPool" or "AveragePool":
                {
                    var isConv = n.OpType == "Conv";
                    var spatial = x![2..];
                    var kernel = isConv ? In(1)![2..] : NodeAttributes.Ints(n, "kernel_shape")!;
                    var geo = ConvGeometry.Resolve(n, spatial, kernel, allowCeil: !isConv);
                    long[] y = [x[0], isConv ? In(1)![0] : x[1], .. geo.Output];
                    return n.OpType == "MaxPool" ? [y, y] : [y];
                }
            case "ConvTranspose":
                {
                    var w = In(1)!;
                    var group = NodeAttributes.Int(n, "group", 1);
                    var r = x!.Length - 2;
                    var s = NodeAttributes.Ints(n, "strides") ?? Enumerable.Repeat(1L, r).ToArray();
                    var d = NodeAttributes.Ints(n, "dilations") ?? Enumerable.Repeat(1L, r).ToArray();
                    var p = NodeAttributes.Ints(n, "pads") ?? new long[2 * r];
                    var op = NodeAttributes.Ints(n, "output_padding") ?? new long[r];
                    var y = new long[r + 2];
                    y[0] = x[0];
                    y[1] = w[1] * group;
                    if (NodeAttributes.Ints(n, "output_shape") is { } os) { for (var i = 0; i < r; i++) y[i + 2] = os[^(r - i)]; return [y]; }
                    for (var i = 0; i < r; i++) y[i + 2] = s[i] * (x[i + 2] - 1) + op[i] + (w[i + 2] - 1) * d[i] + 1 - p[i] - p[i + r];
                    return [y];
                }
            case "GlobalAveragePool" or "GlobalMaxPool":
                return [[x![0], x[1], .. Enumerable.Repeat(1L, x.Length - 2)]];
            case "Flatten":
                {
                    var axis = (int)NodeAttributes.Int(n, "axis", 1);
                    if (axis < 0) axis += x!.Length;
                    return [[Product(x![..axis]), Product(x[axis..])]];
                }
            case "Reshape":
                {
                    var target = consts.IntTensor(n.Input[1])?.Values ?? throw new InvalidOperationException("non-constant shape");
                    var allowZero = opset >= 14 && NodeAttributes.Int(n, "allowzero", 0) != 0;
                    return [ReshapeShape(x!, target, allowZero)];
                }
            case "Transpose":
                {
                    var perm = NodeAttributes.Ints(n, "perm") ?? Enumerable.Range(0, x!.Length).Reverse().Select(v => (long)v).ToArray();
                    return [perm.Select(p => x![p]).ToArray()];
                }
            case "Squeeze":
                {
                    var axes = opset >= 13 ? (n.Input.Count > 1 && n.Input[1].Length > 0 ? consts.Ints(n.Input[1]) : null) : NodeAttributes.Ints(n, "axes");
                    var set = axes is null ? Enumerable.Range(0, x!.Length).Where(i => x[i] == 1).ToHashSet() : axes.Select(a => (int)(a < 0 ? a + x!.Length : a)).ToHashSet();
                    return [x!.Where((_, i) => !set.Contains(i)).ToArray()];
                }
            case "Unsqueeze":
                {
                    var axes = opset >= 13 ? consts.Ints(n.Input[1]) ?? throw new InvalidOperationException() : NodeAttributes.Ints(n, "axes")!;
                    var r = x!.Length + axes.Length;
                    var set = axes.Select(a => (int)(a < 0 ? a + r : a)).ToHashSet();
                    var res = new long[r];
                    var k = 0;
                    for (var i = 0; i < r; i++) res[i] = set.Contains(i) ? 1 : x[k++];
                    return [res];
                }
            case "Concat":
                {
                    var axis = (int)NodeAttributes.Int(n, "axis", 0);
                    if (axis < 0) axis += x!.Length;
                    var res = (long[])x!.Clone();
                    for (var i = 1; i < n.Input.Count; i++)
                    {
                        var o = In(i)!;
                        res[axis] = res[axis] < 0 || o[axis] < 0 ? throw new InvalidOperationException() : res[axis] + o[axis];
                    }
                    return [res];
                }
            case "Pad":
                {
                    var pads = PadAmounts(n, opset, consts, x!.Length);
                    var r = x.Length;
                    return [x.Select((d, i) => d < 0 ? (pads[i] + pads[i + r] == 0 ? d : throw new InvalidOperationException()) : d + pads[i] + pads[i + r]).ToArray()];
                }
            default:
                return InferMore(n, opset, consts, shapeOf);
        }
    }

    /// <summary>Full-rank pads [begins.., ends..] of a Pad node (attribute before opset 11, input after; optional axes from 18).</summary>
    public static long[] PadAmounts(NodeProto n, long opset, ConstantTable consts, int rank)
    {
        if (opset < 11) return NodeAttributes.Ints(n, "pads") ?? throw new InvalidOperationException("pads");
        var raw = consts.Ints(n.Input[1]) ?? throw new InvalidOperationException("non-constant pads");
        if (n.Input.Count > 3 && n.Input[3].Length > 0)
        {
            var axes = consts.Ints(n.Input[3]) ?? throw new InvalidOperationException("non-constant axes");
            var full = new long[2 * rank];
            for (var k = 0; k < axes.Length; k++)
            {
                var a = (int)(axes[k] < 0 ? axes[k] + rank : axes[k]);
                full[a] = raw[k];
                full[a + rank] = raw[k + axes.Length];
            }
            return full;
        }
        return raw;
    }

    private static long Product(long[] dims)
    {
        var p = 1L;
        foreach (var d in dims)
        {
            if (d == Batch) { if (p == Batch) throw new InvalidOperationException(); p = p == 1 ? Batch : throw new InvalidOperationException(); }
            else p = p == Batch ? (d == 1 ? Batch : throw new InvalidOperationException("batch mixed into a dimension")) : p * d;
        }
        return p;
    }

    private static long[] ReshapeShape(long[] x, long[] target, bool allowZero)
    {
        // why: a dimension −k stands for k·N (the batch merged with other axes, e.g. batch × heads in attention); N may
        // occur once on each side, and the inferred (−1) dimension takes whatever is left, including N.
        var res = new long[target.Length];
        var inferAt = -1;
        for (var i = 0; i < target.Length; i++)
        {
            if (ShapeFolding.IsBatch(target[i], out var k)) res[i] = -k;
            else if (target[i] == 0 && !allowZero) res[i] = x[i];
            else if (target[i] == -1) inferAt = i;
            else res[i] = target[i];
        }
        if (inferAt < 0) return res;
        var bx = x.Count(d => d < 0);
        var br = res.Where((_, i) => i != inferAt).Count(d => d < 0);
        var kx = x.Aggregate(1L, (a, d) => a * Math.Abs(d));
        var kr = res.Where((_, i) => i != inferAt).Aggregate(1L, (a, d) => a * Math.Abs(d));
        if (bx > 1 || br > bx || kr == 0 || kx % kr != 0) throw new InvalidOperationException("reshape with the batch size mixed in");
        res[inferAt] = bx == br ? kx / kr : -(kx / kr);
        return res;
    }
}
