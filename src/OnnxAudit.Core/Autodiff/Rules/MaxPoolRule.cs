using Onnx;
using static OnnxAudit.Onnx.NodeAttributes;

namespace OnnxAudit.Autodiff.Rules;

/// <summary>
/// MaxPool (2-D, overlapping windows, pads, dilations, ceil_mode). The forward node is asked for its Indices output
/// (flat indices into N·C·H·W, storage_order 0); each output gradient is added at the index of the selected element.
/// ONNX Runtime, like PyTorch, selects the first maximum in scan order, so ties give the gradient to the first max.
/// Opset ≥ 16: ScatterElements(zeros, indices, dy, reduction=add). Opset 11–15: the per-plane index i mod (H·W) is
/// compared with 0..H·W−1 to build a one-hot matrix [N, C, P, H·W] and dx = dy[N,C,1,P] · onehot (MatMul) — exact,
/// memory O(P·H·W) per plane.
/// Non-overlapping k×k windows (kernel = strides, no pads or dilations, H and W multiples of k; opset ≥ 13) skip the
/// Indices: SpaceToDepth(x) lays each window's k² elements on a new axis, Equal with y marks the maxima, a CumSum along
/// that axis keeps only the first one in scan order (so ties go to the first maximum, as in PyTorch and the Indices
/// path), and DepthToSpace puts dy·mask back in place.
/// why: ties are common, not rare: a constant background gives equal conv outputs, so a plain equality mask would
/// hand the gradient to every tied element; issue 16 measured the Indices-free backward 37 % faster.
/// </summary>
internal sealed class MaxPoolRule : IGradientRule
{
    public string OpType => "MaxPool";

    public void Backward(BackwardContext c)
    {
        var e = c.E;
        var xs = c.Shape(c.X(0));
        if (xs.Length != 4) throw c.Fail($"only 2-D max pooling (rank-4 input) is supported by the gradient builder, got rank {xs.Length}");
        if (c.Dy(1) is not null) throw c.Fail("the Indices output is not differentiable");
        var dy = c.Dy(0)!;
        if (!GradientGraphVariants.Legacy && NonOverlappingBlock(c, xs) is long k)
        {
            c.Add(0, FirstMaxMaskBackward(c, dy, xs, k));
            return;
        }
        var indices = IndicesOf(c);
        if (c.Opset >= 16)
        {
            var zeros = e.Op("ConstantOfShape", [e.ShapeOf(e.Reshape(c.X(0), [-1]))], MakeTensor("value", Onnx.TensorData.FromFloats("", [1], [0f])));
            var scattered = e.Op("ScatterElements", [zeros, e.Reshape(indices, [-1]), e.Reshape(dy, [-1])],
                MakeInt("axis", 0), MakeStr("reduction", "add"));
            c.Add(0, e.ReshapeLike(scattered, c.X(0)));
        }
        else
        {
            var hw = xs[2] * xs[3];
            var local = e.Op("Mod", [indices, e.ScalarI64(hw)]);
            var col = e.Reshape(local, [0, 0, -1, 1]);
            var range = e.ConstI64(Enumerable.Range(0, (int)hw).Select(v => (long)v).ToArray());
            var onehot = e.Cast(e.Op("Equal", [col, range]), TensorProto.Types.DataType.Float);
            var row = e.Reshape(dy, [0, 0, 1, -1]);
            c.Add(0, e.ReshapeLike(e.Op("MatMul", [row, onehot]), c.X(0)));
        }
    }

    // The block size k when the windows tile the input exactly: square kernel k = strides, no pads/dilations/ceil effect.
    private static long? NonOverlappingBlock(BackwardContext c, long[] xs)
    {
        if (c.Opset < 13) return null;
        var kernel = c.Ints("kernel_shape");
        if (kernel is null || kernel.Length != 2 || kernel[0] != kernel[1] || kernel[0] < 2) return null;
        var k = kernel[0];
        var strides = c.Ints("strides") ?? [1, 1];
        if (strides.Length != 2 || strides[0] != k || strides[1] != k) return null;
        if ((c.Ints("dilations") ?? [1, 1]).Any(v => v != 1) || (c.Ints("pads") ?? [0, 0, 0, 0]).Any(v => v != 0)) return null;
        if (c.Str("auto_pad", "NOTSET") is not ("NOTSET" or "VALID")) return null;
        if (xs[1] <= 0 || xs[2] <= 0 || xs[3] <= 0 || xs[2] % k != 0 || xs[3] % k != 0) return null;
        return k;
    }

    // dx = DepthToSpace(first(Equal(SpaceToDepth(x), y)) · dy): the gradient goes to the first maximum of each window.
    private static string FirstMaxMaskBackward(BackwardContext c, string dy, long[] xs, long k)
    {
        var e = c.E;
        long ch = xs[1], ho = xs[2] / k, wo = xs[3] / k, kk = k * k;
        var blocks = e.Reshape(e.Op("SpaceToDepth", [c.X(0)], MakeInt("blocksize", k)), [-1, kk, ch, ho, wo]);
        var y = e.Reshape(c.Y(0), [-1, 1, ch, ho, wo]);
        var isMax = e.Cast(e.Op("Equal", [blocks, y]), TensorProto.Types.DataType.Float);
        var seen = e.Op("CumSum", [isMax, e.ScalarI64(1)]);
        var first = e.Mul(isMax, e.Cast(e.Op("Equal", [seen, e.ScalarF(1)]), TensorProto.Types.DataType.Float));
        var g = e.Mul(first, e.Reshape(dy, [-1, 1, ch, ho, wo]));
        return e.Op("DepthToSpace", [e.Reshape(g, [-1, kk * ch, ho, wo])], MakeInt("blocksize", k), MakeStr("mode", "DCR"));
    }

    private static string IndicesOf(BackwardContext c)
    {
        var n = c.Node;
        if (n.Output.Count > 1 && n.Output[1].Length > 0 && c.Int("storage_order", 0) == 0) return n.Output[1];
        var ind = c.E.Fresh(c.Y(0) + "_indices");
        if (c.Int("storage_order", 0) == 0)
        {
            // why: reuse the forward pooling instead of running it twice; the first output is unchanged.
            if (n.Output.Count == 1) n.Output.Add(ind);
            else n.Output[1] = ind;
            return ind;
        }
        var copy = c.E.Node("MaxPool", [c.X(0)], [c.E.Fresh("maxpool_copy"), ind], [.. n.Attribute.Where(a => a.Name != "storage_order")]);
        _ = copy;
        return ind;
    }
}
