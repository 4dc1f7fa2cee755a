namespace OnnxAudit.Autodiff.Rules;

/// <summary>Mul (numpy broadcasting): da = Σ_broadcast dy·b, db = Σ_broadcast dy·a.</summary>
internal sealed class MulRule : IGradientRule
{
    public string OpType => "Mul";

    public void Backward(BackwardContext c)
    {
        var e = c.E;
        var y = c.Shape(c.Y(0));
        if (c.Needs(0)) c.Add(0, e.ReduceToShape(e.Mul(c.Dy(0)!, c.X(1)), y, c.Shape(c.X(0))));
        if (c.Needs(1)) c.Add(1, e.ReduceToShape(e.Mul(c.Dy(0)!, c.X(0)), y, c.Shape(c.X(1))));
    }
}
