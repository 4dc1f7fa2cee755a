using Onnx;

namespace OnnxAudit.Autodiff.Rules;

/// <summary>
/// Gather(axis) with any (possibly runtime, possibly negative) indices: with data [P.., d, Q..] and indices I,
/// dx[p, j, q] = Σ_i 1{idx_i mod d = j}·dy[p, i, q], emitted as a one-hot [d, |I|] matrix times dy viewed as
/// [P, |I|, Q] (one MatMul; valid at every opset, repeated indices accumulate). Only the data input is differentiable.
/// </summary>
internal sealed class GatherRule : IGradientRule
{
    public string OpType => "Gather";

    public void Backward(BackwardContext c)
    {
        if (!c.Needs(0)) return;
        var e = c.E;
        var xs = c.Shape(c.X(0));
        var ids = c.Shape(c.X(1));
        var axis = (int)c.Int("axis", 0);
        if (axis < 0) axis += xs.Length;
        var d = xs[axis];
        if (d < 0) throw c.Fail("gathering along the batch axis is not supported by the gradient builder");
        var count = ids.Aggregate(1L, (a, b) => a * b);
        // why: a batch-sized prefix or suffix becomes −1 in the Reshape (the other two factors are static).
        static long Prod(long[] s) => s.Any(v => v < 0) ? -1 : s.Aggregate(1L, (a, b) => a * b);
        var pre = Prod(xs[..axis]);
        var post = Prod(xs[(axis + 1)..]);
        var idx = e.Cast(e.Reshape(c.X(1), [count, 1]), TensorProto.Types.DataType.Int64);
        var local = e.Op("Mod", [idx, e.ScalarI64(d)]);
        var range = e.ConstI64(Enumerable.Range(0, (int)d).Select(v => (long)v).ToArray());
        var onehot = e.Transpose(e.EqualMask(local, range), 1, 0); // [d, |I|]
        var dy3 = e.Reshape(c.Dy(0)!, [pre, count, post]);
        c.Add(0, e.ReshapeLike(e.Op("MatMul", [onehot, dy3]), c.X(0)));
    }
}
