namespace OnnxAudit.Autodiff.Rules;

/// <summary>Neg: dx = −dy.</summary>
internal sealed class NegRule : IGradientRule
{
    public string OpType => "Neg";

    public void Backward(BackwardContext c) => c.Add(0, c.E.Neg(c.Dy(0)!));
}
