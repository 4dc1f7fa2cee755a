namespace OnnxAudit.Autodiff.Rules;

/// <summary>ReduceMax (axes as attribute before opset 18, as input from 18; keepdims): the gradient goes to the
/// elements equal to the maximum, split evenly among ties (PyTorch's amax/max-over-dims backward).</summary>
internal sealed class ReduceMaxRule : IGradientRule
{
    public string OpType => "ReduceMax";

    public void Backward(BackwardContext c) => Extremum(c);

    internal static void Extremum(BackwardContext c)
    {
        var e = c.E;
        var (dy, axes) = ReduceSumRule.KeptGradient(c, c.Dy(0)!);
        if (axes.Length == 0) { c.Add(0, c.Dy(0)!); return; }
        var (y, _) = ReduceSumRule.KeptGradient(c, c.Y(0));
        var mask = e.EqualMask(c.X(0), y);
        var ties = e.ReduceSum(mask, axes, keepDims: true);
        c.Add(0, e.Mul(mask, e.Div(dy, ties)));
    }
}
