namespace OnnxAudit.Autodiff.Rules;

/// <summary>Elu(α): y = x (x &gt; 0) or α(eˣ − 1); dx = dy or dy·(y + α) (= dy·α·eˣ).</summary>
internal sealed class EluRule : IGradientRule
{
    public string OpType => "Elu";

    public void Backward(BackwardContext c)
    {
        var e = c.E;
        var alpha = c.Float("alpha", 1f);
        var dy = c.Dy(0)!;
        c.Add(0, e.Where(e.Op("Greater", [c.X(0), e.ScalarF(0)]), dy, e.Mul(dy, e.Add(c.Y(0), e.ScalarF(alpha)))));
    }
}
