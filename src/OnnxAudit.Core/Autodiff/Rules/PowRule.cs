namespace OnnxAudit.Autodiff.Rules;

/// <summary>Pow (numpy broadcasting): da = Σ_broadcast dy·b·a^(b−1); db = Σ_broadcast dy·y·ln a (defined for a &gt; 0).</summary>
internal sealed class PowRule : IGradientRule
{
    public string OpType => "Pow";

    public void Backward(BackwardContext c)
    {
        var e = c.E;
        var dy = c.Dy(0)!;
        var ys = c.Shape(c.Y(0));
        if (c.Needs(0))
        {
            var d = e.Mul(c.X(1), e.Op("Pow", [c.X(0), e.Sub(c.X(1), e.ScalarF(1))]));
            c.Add(0, e.ReduceToShape(e.Mul(dy, d), ys, c.Shape(c.X(0))));
        }
        if (c.Needs(1))
            c.Add(1, e.ReduceToShape(e.Mul(dy, e.Mul(c.Y(0), e.Op("Log", [c.X(0)]))), ys, c.Shape(c.X(1))));
    }
}
