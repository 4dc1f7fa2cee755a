namespace OnnxAudit.Autodiff.Rules;

/// <summary>Where(cond, a, b) (numpy broadcasting): da = Σ_broadcast dy·cond, db = Σ_broadcast dy·¬cond.</summary>
internal sealed class WhereRule : IGradientRule
{
    public string OpType => "Where";

    public void Backward(BackwardContext c)
    {
        var e = c.E;
        var dy = c.Dy(0)!;
        var ys = c.Shape(c.Y(0));
        if (c.Needs(1)) c.Add(1, e.ReduceToShape(e.Where(c.X(0), dy, e.ScalarF(0)), ys, c.Shape(c.X(1))));
        if (c.Needs(2)) c.Add(2, e.ReduceToShape(e.Where(c.X(0), e.ScalarF(0), dy), ys, c.Shape(c.X(2))));
    }
}
