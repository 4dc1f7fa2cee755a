namespace OnnxAudit.Autodiff.Rules;

/// <summary>Div (numpy broadcasting): da = Σ_broadcast dy/b, db = −Σ_broadcast dy·y/b.</summary>
internal sealed class DivRule : IGradientRule
{
    public string OpType => "Div";

    public void Backward(BackwardContext c)
    {
        var e = c.E;
        var y = c.Shape(c.Y(0));
        if (c.Needs(0)) c.Add(0, e.ReduceToShape(e.Div(c.Dy(0)!, c.X(1)), y, c.Shape(c.X(0))));
        if (c.Needs(1)) c.Add(1, e.ReduceToShape(e.Neg(e.Mul(c.Dy(0)!, e.Div(c.Y(0), c.X(1)))), y, c.Shape(c.X(1))));
    }
}
