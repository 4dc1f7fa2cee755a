namespace OnnxAudit.Autodiff.Rules;

/// <summary>LogSoftmax: dx = dy − exp(y)·Σ_axes dy (axes as for Softmax, opset-dependent).</summary>
internal sealed class LogSoftmaxRule : IGradientRule
{
    public string OpType => "LogSoftmax";

    public void Backward(BackwardContext c)
    {
        var e = c.E;
        var dy = c.Dy(0)!;
        var axes = SoftmaxRule.SoftmaxAxes(c);
        c.Add(0, e.Sub(dy, e.Mul(e.Op("Exp", [c.Y(0)]), e.ReduceSum(dy, axes, keepDims: true))));
    }
}
