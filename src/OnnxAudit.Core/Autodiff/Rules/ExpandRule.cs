namespace OnnxAudit.Autodiff.Rules;

/// <summary>Expand (numpy broadcasting to a constant or folded shape): dx = Σ_broadcast dy.</summary>
internal sealed class ExpandRule : IGradientRule
{
    public string OpType => "Expand";

    public void Backward(BackwardContext c) =>
        c.Add(0, c.E.ReduceToShape(c.Dy(0)!, c.Shape(c.Y(0)), c.Shape(c.X(0))));
}
