using OnnxAudit.Onnx;
using Onnx;

namespace OnnxAudit.Autodiff;

/// <summary>
/// Constant folding of the integer shape arithmetic exporters emit for dynamic reshapes (Shape → Gather → Unsqueeze →
/// Concat → Reshape, with Cast, Slice, Squeeze, arithmetic, Equal/Where, ConstantOfShape and Range on the way), so the
/// static shape pass knows the target shapes. The symbolic batch size is carried as <see cref="BatchValue"/>; an
/// operation that would need its concrete value (e.g. Greater(N, 3)) leaves the output unknown. The graph itself is
/// not changed: the folded values only feed <see cref="ShapeInference"/> and the rules through <see cref="ConstantTable"/>.
/// </summary>
internal static class ShapeFolding
{
    /// <summary>The symbolic batch size N inside a folded integer tensor (never a real value); k·N is
    /// <see cref="BatchTimes"/>(k), which a static shape holds as −k (<see cref="ShapeInference.Batch"/> = −1 is N).</summary>
    public const long BatchValue = BatchBase + 1;

    // why: far from long.MinValue, which exporters use for "to the start" ends of negative-step slices.
    private const long BatchBase = -(1L << 62);

    /// <summary>The folded value k·N (k ≥ 1), e.g. batch × heads in multi-head attention.</summary>
    public static long BatchTimes(long k) => BatchBase + k;

    /// <summary>Whether a folded value is k·N, and k.</summary>
    public static bool IsBatch(long v, out long k)
    {
        k = v - BatchBase;
        return k is > 0 and < 1L << 40;
    }

    /// <summary>A folded value as a static-shape dimension (k·N becomes −k).</summary>
    public static long ToDim(long v) => IsBatch(v, out var k) ? -k : v;

    /// <summary>Folds <paramref name="n"/> when all its inputs are known integer tensors (or it is Shape/Size of a tensor
    /// with a known shape), recording the outputs in <paramref name="consts"/>. Unknown cases are left alone.</summary>
    public static void Fold(NodeProto n, long opset, ConstantTable consts, IReadOnlyDictionary<string, long[]> shapes)
    {
        if (n.Output.Count == 0 || n.Output[0].Length == 0 || (n.Domain is not ("" or "ai.onnx"))) return;
        try
        {
            if (Evaluate(n, opset, consts, shapes) is { } r) consts.AddFolded(n.Output[0], r.Values, r.Dims);
        }
        catch (Exception ex) when (ex is IndexOutOfRangeException or ArgumentException or InvalidOperationException or DivideByZeroException or OverflowException)
        {
            // why: a fold that does not apply (unexpected ranks, batch-dependent values) just leaves the tensor unknown.
        }
    }

    private static (long[] Values, long[] Dims)? Evaluate(NodeProto n, long opset, ConstantTable consts, IReadOnlyDictionary<string, long[]> shapes)
    {
        (long[] Values, long[] Dims)? In(int i) => i < n.Input.Count && n.Input[i].Length > 0 ? consts.IntTensor(n.Input[i]) : null;
        var outDims = shapes.GetValueOrDefault(n.Output[0]);
        switch (n.OpType)
        {
            case "Shape":
                {
                    var x = shapes.GetValueOrDefault(n.Input[0]);
                    if (x is null) return null;
                    var r = x.Length;
                    var start = opset >= 15 ? NodeAttributes.Int(n, "start", 0) : 0;
                    var end = opset >= 15 ? NodeAttributes.Int(n, "end", r) : r;
                    start = Math.Clamp(start < 0 ? start + r : start, 0, r);
                    end = Math.Clamp(end < 0 ? end + r : end, 0, r);
                    var v = x[(int)start..(int)Math.Max(start, end)].Select(d => d < 0 ? BatchTimes(-d) : d).ToArray();
                    return (v, [v.Length]);
                }
            case "Size":
                {
                    var x = shapes.GetValueOrDefault(n.Input[0]);
                    return x is null || x.Any(d => d < 0) ? null : ([x.Aggregate(1L, (a, b) => a * b)], []);
                }
            case "Identity" or "Unsqueeze" or "Squeeze" or "Reshape" or "Flatten":
                return In(0) is { } same && outDims is not null ? (same.Values, outDims) : null;
            case "Cast":
                {
                    var to = (TensorProto.Types.DataType)NodeAttributes.Int(n, "to", 0);
                    var isInt = to is TensorProto.Types.DataType.Int64 or TensorProto.Types.DataType.Int32 or TensorProto.Types.DataType.Int16
                        or TensorProto.Types.DataType.Int8 or TensorProto.Types.DataType.Uint8 or TensorProto.Types.DataType.Uint16 or TensorProto.Types.DataType.Uint32;
                    return isInt && In(0) is { } cast ? cast : null;
                }
            case "Concat":
                {
                    var parts = Enumerable.Range(0, n.Input.Count).Select(In).ToArray();
                    if (parts.Any(p => p is null) || parts.Any(p => p!.Value.Dims.Length != 1)) return null;
                    var v = parts.SelectMany(p => p!.Value.Values).ToArray();
                    return (v, [v.Length]);
                }
            case "Gather":
                {
                    if (In(0) is not { } data || In(1) is not { } idx || data.Dims.Length != 1) return null;
                    var len = data.Values.Length;
                    var v = idx.Values.Select(i => data.Values[(int)(i < 0 ? i + len : i)]).ToArray();
                    return (v, idx.Dims);
                }
            case "Slice":
                {
                    if (In(0) is not { } data || In(1) is not { } st || In(2) is not { } en) return null;
                    var rank = data.Dims.Length;
                    var axes = In(3)?.Values ?? Enumerable.Range(0, st.Values.Length).Select(v => (long)v).ToArray();
                    var steps = In(4)?.Values ?? Enumerable.Repeat(1L, st.Values.Length).ToArray();
                    // per axis, the selected source indices
                    var pick = data.Dims.Select(d => Enumerable.Range(0, (int)d).Select(v => (long)v).ToArray()).ToArray();
                    for (var k = 0; k < axes.Length; k++)
                    {
                        var a = (int)(axes[k] < 0 ? axes[k] + rank : axes[k]);
                        if (IsBatch(st.Values[k], out _) || IsBatch(steps[k], out _)) return null;
                        var end = IsBatch(en.Values[k], out _) ? long.MaxValue : en.Values[k];
                        var (start, stop, step) = SliceRange(st.Values[k], end, steps[k], data.Dims[a]);
                        var list = new List<long>();
                        for (var i = start; step > 0 ? i < stop : i > stop; i += step) list.Add(i);
                        pick[a] = list.ToArray();
                    }
                    var dims = pick.Select(p => (long)p.Length).ToArray();
                    var count = (int)dims.Aggregate(1L, (a, b) => a * b);
                    var strides = new long[rank];
                    for (int i = rank - 1, acc = 1; i >= 0; acc *= (int)data.Dims[i], i--) strides[i] = acc;
                    var v = new long[count];
                    for (var o = 0; o < count; o++)
                    {
                        var rem = o;
                        var src = 0L;
                        for (var i = rank - 1; i >= 0; i--)
                        {
                            var coord = rem % pick[i].Length;
                            rem /= pick[i].Length;
                            src += pick[i][coord] * strides[i];
                        }
                        v[o] = data.Values[src];
                    }
                    return (v, dims);
                }
            case "ConstantOfShape":
                {
                    if (In(0) is not { } s || s.Values.Any(v => IsBatch(v, out _))) return null;
                    var value = NodeAttributes.Find(n, "value")?.T;
                    long fill = 0;
                    if (value is not null)
                    {
                        var type = (TensorProto.Types.DataType)value.DataType;
                        if (type is TensorProto.Types.DataType.Float or TensorProto.Types.DataType.Double or TensorProto.Types.DataType.Float16) return null;
                        fill = TensorData.ToInt64s(value)[0];
                    }
                    var count = s.Values.Aggregate(1L, (a, b) => a * b);
                    return count > 4096 ? null : (Enumerable.Repeat(fill, (int)count).ToArray(), s.Values);
                }
            case "Range":
                {
                    if (In(0) is not { } a || In(1) is not { } b || In(2) is not { } d) return null;
                    var (start, limit, delta) = (a.Values[0], b.Values[0], d.Values[0]);
                    if (IsBatch(start, out _) || IsBatch(limit, out _) || IsBatch(delta, out _) || delta == 0) return null;
                    var v = new List<long>();
                    for (var i = start; delta > 0 ? i < limit : i > limit; i += delta) v.Add(i);
                    return (v.ToArray(), [v.Count]);
                }
            case "Transpose":
                {
                    if (In(0) is not { } m || m.Dims.Length != 2) return null;
                    var (r, c) = ((int)m.Dims[0], (int)m.Dims[1]);
                    var v = new long[r * c];
                    for (var i = 0; i < r; i++) for (var j = 0; j < c; j++) v[j * r + i] = m.Values[i * c + j];
                    return (v, [c, r]);
                }
            case "Add" or "Sub" or "Mul" or "Div" or "Mod" or "Equal" or "Greater" or "Less" or "Max" or "Min" or "Where":
                {
                    var ins = Enumerable.Range(0, n.Input.Count).Select(In).ToArray();
                    if (ins.Any(q => q is null) || outDims is null || outDims.Any(d => d < 0)) return null;
                    var count = (int)outDims.Aggregate(1L, (a, b) => a * b);
                    var v = new long[count];
                    for (var k = 0; k < count; k++)
                    {
                        var args = ins.Select(q => q!.Value.Values[BroadcastIndex(k, outDims, q.Value.Dims)]).ToArray();
                        v[k] = Apply(n.OpType, args);
                    }
                    return (v, outDims);
                }
            default:
                return null;
        }
    }

    private static long Apply(string op, long[] a)
    {
        long Unknown() => throw new InvalidOperationException("needs the batch size");
        if (op == "Where") return IsBatch(a[0], out _) ? Unknown() : a[0] != 0 ? a[1] : a[2];
        var (x, y) = (a[0], a[1]);
        var bx = IsBatch(x, out var kx);
        var by = IsBatch(y, out var ky);
        if (bx && by)
        {
            return op switch
            {
                "Equal" => x == y ? 1 : Unknown(),
                "Div" when kx % ky == 0 => kx / ky,
                _ => Unknown(),
            };
        }
        if (bx || by)
        {
            var (k, c) = bx ? (kx, y) : (ky, x);
            return op switch
            {
                "Mul" when c > 0 => BatchTimes(k * c),
                "Div" when bx && c > 0 && k % c == 0 => BatchTimes(k / c),
                "Add" when c == 0 => bx ? x : y,
                "Sub" when bx && c == 0 => x,
                // why: the batch size is at least 1, so k·N never equals a constant ≤ 0 (exporters compare with −1).
                "Equal" when c <= 0 => 0,
                "Max" when c <= 1 => bx ? x : y,
                _ => Unknown(),
            };
        }
        return op switch
        {
            "Add" => x + y,
            "Sub" => x - y,
            "Mul" => x * y,
            "Div" => y == 0 ? throw new DivideByZeroException() : x / y,
            "Mod" => y == 0 ? throw new DivideByZeroException() : ((x % y) + y) % y,
            "Equal" => x == y ? 1 : 0,
            "Greater" => x > y ? 1 : 0,
            "Less" => x < y ? 1 : 0,
            "Max" => Math.Max(x, y),
            "Min" => Math.Min(x, y),
            _ => Unknown(),
        };
    }

    /// <summary>Flat index into a tensor of <paramref name="dims"/> broadcast to <paramref name="outDims"/> for output index <paramref name="k"/>.</summary>
    private static int BroadcastIndex(int k, long[] outDims, long[] dims)
    {
        var idx = 0L;
        var stride = 1L;
        var rem = (long)k;
        for (var i = outDims.Length - 1; i >= 0; i--)
        {
            var coord = rem % outDims[i];
            rem /= outDims[i];
            var j = i - (outDims.Length - dims.Length);
            if (j < 0) continue;
            if (dims[j] != 1) idx += coord * stride;
            stride *= dims[j];
        }
        return (int)idx;
    }

    /// <summary>ONNX Slice normalisation of one axis: (first index, exclusive end, step) clamped to a dimension of <paramref name="dim"/>.</summary>
    public static (long Start, long End, long Step) SliceRange(long start, long end, long step, long dim)
    {
        if (step == 0) throw new ArgumentException("Slice step 0");
        if (start < 0) start += dim;
        if (end < 0 && end > long.MinValue / 2) end += dim;
        if (step > 0)
        {
            start = Math.Clamp(start, 0, dim);
            end = Math.Clamp(end, 0, dim);
        }
        else
        {
            start = Math.Clamp(start, 0, dim - 1);
            end = Math.Clamp(end, -1, dim - 1);
        }
        return (start, end, step);
    }

    /// <summary>Number of elements a normalised slice selects.</summary>
    public static long SliceCount(long start, long end, long step) =>
        step > 0 ? Math.Max(0, (end - start + step - 1) / step) : Math.Max(0, (start - end + (-step) - 1) / -step);
}
