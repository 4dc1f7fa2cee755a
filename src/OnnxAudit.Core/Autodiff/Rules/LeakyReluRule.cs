namespace OnnxAudit.Autodiff.Rules;

/// <summary>LeakyRelu(α): dx = dy for x &gt; 0, α·dy otherwise.</summary>
internal sealed class LeakyReluRule : IGradientRule
{
    public string OpType => "LeakyRelu";

    public void Backward(BackwardContext c)
    {
        var e = c.E;
        var alpha = c.Float("alpha", 0.01f);
        var dy = c.Dy(0)!;
        c.Add(0, e.Where(e.Op("Greater", [c.X(0), e.ScalarF(0)]), dy, e.Mul(dy, e.ScalarF(alpha))));
    }
}
