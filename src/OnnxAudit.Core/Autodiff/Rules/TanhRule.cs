namespace OnnxAudit.Autodiff.Rules;

/// <summary>Tanh: dx = dy · (1 − y²).</summary>
internal sealed class TanhRule : IGradientRule
{
    public string OpType => "Tanh";

    public void Backward(BackwardContext c)
    {
        var e = c.E;
        var y = c.Y(0);
        c.Add(0, e.Mul(c.Dy(0)!, e.Sub(e.ScalarF(1), e.Mul(y, y))));
    }
}
