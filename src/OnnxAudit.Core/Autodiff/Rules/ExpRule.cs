namespace OnnxAudit.Autodiff.Rules;

/// <summary>Exp: dx = dy · y.</summary>
internal sealed class ExpRule : IGradientRule
{
    public string OpType => "Exp";

    public void Backward(BackwardContext c) => c.Add(0, c.E.Mul(c.Dy(0)!, c.Y(0)));
}
