namespace OnnxAudit.Autodiff.Rules;

/// <summary>Softmax: dx = y·(dy − Σ_axes dy·y). Opset ≥ 13 reduces over the single axis (default −1); before 13
/// the input is coerced to 2-D at axis (default 1) and the sum runs over axes ≥ axis.</summary>
internal sealed class SoftmaxRule : IGradientRule
{
    public string OpType => "Softmax";

    public void Backward(BackwardContext c)
    {
        var e = c.E;
        var y = c.Y(0);
        var dy = c.Dy(0)!;
        var axes = SoftmaxAxes(c);
        c.Add(0, e.Mul(y, e.Sub(dy, e.ReduceSum(e.Mul(dy, y), axes, keepDims: true))));
    }

    internal static long[] SoftmaxAxes(BackwardContext c)
    {
        var rank = c.Shape(c.X(0)).Length;
        var axis = c.Int("axis", c.Opset >= 13 ? -1 : 1);
        if (axis < 0) axis += rank;
        return c.Opset >= 13 ? [axis] : Enumerable.Range((int)axis, rank - (int)axis).Select(v => (long)v).ToArray();
    }
}
