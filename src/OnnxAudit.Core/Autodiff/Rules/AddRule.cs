namespace OnnxAudit.Autodiff.Rules;

/// <summary>Add (numpy broadcasting): da = Σ_broadcast dy, db = Σ_broadcast dy.</summary>
internal sealed class AddRule : IGradientRule
{
    public string OpType => "Add";

    public void Backward(BackwardContext c)
    {
        var y = c.Shape(c.Y(0));
        for (var i = 0; i < 2; i++)
            if (c.Needs(i)) c.Add(i, c.E.ReduceToShape(c.Dy(0)!, y, c.Shape(c.X(i))));
    }
}
