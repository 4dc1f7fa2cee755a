namespace OnnxAudit.Autodiff.Rules;

/// <summary>GlobalMaxPool: dy goes to the elements of each plane equal to its maximum, shared evenly among ties
/// (PyTorch's adaptive_max_pool picks one index; with distinct values both agree).</summary>
internal sealed class GlobalMaxPoolRule : IGradientRule
{
    public string OpType => "GlobalMaxPool";

    public void Backward(BackwardContext c)
    {
        var e = c.E;
        var rank = c.Shape(c.X(0)).Length;
        var mask = e.EqualMask(c.X(0), c.Y(0));
        var ties = e.ReduceSum(mask, Enumerable.Range(2, rank - 2).Select(v => (long)v).ToArray(), keepDims: true);
        c.Add(0, e.Mul(mask, e.Div(c.Dy(0)!, ties)));
    }
}
