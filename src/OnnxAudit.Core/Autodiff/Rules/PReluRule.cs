namespace OnnxAudit.Autodiff.Rules;

/// <summary>PRelu: y = x (x &gt; 0) or slope·x; dx = dy or slope·dy; dslope = Σ_broadcast dy·x over x ≤ 0.</summary>
internal sealed class PReluRule : IGradientRule
{
    public string OpType => "PRelu";

    public void Backward(BackwardContext c)
    {
        var e = c.E;
        var dy = c.Dy(0)!;
        var pos = e.Op("Greater", [c.X(0), e.ScalarF(0)]);
        if (c.Needs(0)) c.Add(0, e.Where(pos, dy, e.Mul(dy, c.X(1))));
        if (c.Needs(1))
        {
            var contrib = e.Where(pos, e.ScalarF(0), e.Mul(dy, c.X(0)));
            c.Add(1, e.ReduceToShape(contrib, c.Shape(c.Y(0)), c.Shape(c.X(1))));
        }
    }
}
