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
