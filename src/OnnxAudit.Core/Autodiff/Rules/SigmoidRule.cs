namespace OnnxAudit.Autodiff.Rules;

/// <summary>Sigmoid: dx = dy · y · (1 − y).</summary>
internal sealed class SigmoidRule : IGradientRule
{
    public string OpType => "Sigmoid";

    public void Backward(BackwardContext c)
    {
        var e = c.E;
        var y = c.Y(0);
        c.Add(0, e.Mul(c.Dy(0)!, e.Mul(y, e.Sub(e.ScalarF(1), y))));
    }
}
