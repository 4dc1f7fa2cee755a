namespace OnnxAudit.Autodiff.Rules;

/// <summary>HardSigmoid(α = 0.2, β = 0.5): y = clip(αx + β, 0, 1); dx = α·dy where 0 &lt; αx + β &lt; 1, else 0
/// (PyTorch's hardsigmoid_backward, α = 1/6).</summary>
internal sealed class HardSigmoidRule : IGradientRule
{
    public string OpType => "HardSigmoid";

    public void Backward(BackwardContext c)
    {
        var e = c.E;
        var alpha = c.Float("alpha", 0.2f);
        var beta = c.Float("beta", 0.5f);
        var z = e.Add(e.Mul(c.X(0), e.ScalarF(alpha)), e.ScalarF(beta));
        var inside = e.Op("And", [e.Op("Greater", [z, e.ScalarF(0)]), e.Op("Less", [z, e.ScalarF(1)])]);
        c.Add(0, e.Where(inside, e.Mul(c.Dy(0)!, e.ScalarF(alpha)), e.ScalarF(0)));
    }
}
