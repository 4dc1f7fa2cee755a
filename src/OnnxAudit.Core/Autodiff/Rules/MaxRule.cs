namespace OnnxAudit.Autodiff.Rules;

/// <summary>Max (variadic, numpy broadcasting): each input gets dy where it equals the output, shared evenly among
/// the inputs that tie (PyTorch's maximum backward gives half to each of two), summed over broadcast axes.</summary>
internal sealed class MaxRule : IGradientRule
{
    public string OpType => "Max";

    public void Backward(BackwardContext c) => Extremum(c);

    internal static void Extremum(BackwardContext c)
    {
        var e = c.E;
        var dy = c.Dy(0)!;
        var ys = c.Shape(c.Y(0));
        var count = c.Node.Input.Count;
        if (count == 1) { c.Add(0, dy); return; }
        var masks = Enumerable.Range(0, count).Select(i => e.EqualMask(c.X(i), c.Y(0))).ToArray();
        var share = e.Div(dy, e.Op("Sum", masks));
        for (var i = 0; i < count; i++)
            if (c.Needs(i)) c.Add(i, e.ReduceToShape(e.Mul(share, masks[i]), ys, c.Shape(c.X(i))));
    }
}
