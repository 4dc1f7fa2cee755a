namespace OnnxAudit.Autodiff.Rules;

/// <summary>Sum (variadic, numpy broadcasting): dx_i = Σ_broadcast dy.</summary>
internal sealed class SumRule : IGradientRule
{
    public string OpType => "Sum";

    public void Backward(BackwardContext c) => Spread(c, 1.0);

    internal static void Spread(BackwardContext c, double scale)
    {
        var ys = c.Shape(c.Y(0));
        for (var i = 0; i < c.Node.Input.Count; i++)
            if (c.Needs(i)) c.Add(i, c.E.Scale(c.E.ReduceToShape(c.Dy(0)!, ys, c.Shape(c.X(i))), scale));
    }
}
