namespace OnnxAudit.Autodiff.Rules;

/// <summary>Sub (numpy broadcasting): da = Σ_broadcast dy, db = −Σ_broadcast dy.</summary>
internal sealed class SubRule : IGradientRule
{
    public string OpType => "Sub";

    public void Backward(BackwardContext c)
    {
        var y = c.Shape(c.Y(0));
        if (c.Needs(0)) c.Add(0, c.E.ReduceToShape(c.Dy(0)!, y, c.Shape(c.X(0))));
        if (c.Needs(1)) c.Add(1, c.E.Neg(c.E.ReduceToShape(c.Dy(0)!, y, c.Shape(c.X(1)))));
    }
}
