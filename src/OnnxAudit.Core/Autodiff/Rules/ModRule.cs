namespace OnnxAudit.Autodiff.Rules;

/// <summary>
/// Mod: the MaxPool (opset &lt; 16) and Gather backwards apply it to int64 indices, which carry no gradient, so a second-order
/// graph passes through it without contributions. For float inputs (fmod = 1), da = dy and db = −trunc(a/b)·dy.
/// </summary>
internal sealed class ModRule : IGradientRule
{
    public string OpType => "Mod";

    public void Backward(BackwardContext c)
    {
        if (c.Int("fmod", 0) == 0) return; // integer Mod: indices, no gradient
        var e = c.E;
        var dy = c.Dy(0)!;
        var ys = c.Shape(c.Y(0));
        if (c.Needs(0)) c.Add(0, e.ReduceToShape(dy, ys, c.Shape(c.X(0))));
        if (c.Needs(1))
        {
            var q = e.Div(c.X(0), c.X(1));
            var trunc = e.Mul(e.Op("Sign", [q]), e.Op("Floor", [e.Op("Abs", [q])]));
            c.Add(1, e.ReduceToShape(e.Neg(e.Mul(dy, trunc)), ys, c.Shape(c.X(1))));
        }
    }
}
