namespace OnnxAudit.Autodiff.Rules;

/// <summary>Abs: dx = dy · sign(x) (0 at x = 0, as PyTorch).</summary>
internal sealed class AbsRule : IGradientRule
{
    public string OpType => "Abs";

    public void Backward(BackwardContext c) => c.Add(0, c.E.Mul(c.Dy(0)!, c.E.Op("Sign", [c.X(0)])));
}
