namespace OnnxAudit.Autodiff.Rules;

/// <summary>Softplus: y = ln(1 + eˣ); dx = dy · σ(x).</summary>
internal sealed class SoftplusRule : IGradientRule
{
    public string OpType => "Softplus";

    public void Backward(BackwardContext c) => c.Add(0, c.E.Mul(c.Dy(0)!, c.E.Op("Sigmoid", [c.X(0)])));
}
