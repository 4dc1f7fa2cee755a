namespace OnnxAudit.Autodiff.Rules;

/// <summary>ReduceSum (axes as attribute before opset 13, as input from 13; keepdims; noop_with_empty_axes):
/// dx = Expand(dy with the reduced axes kept, Shape(x)).</summary>
internal sealed class ReduceSumRule : IGradientRule
{
    public string OpType => "ReduceSum";

    public void Backward(BackwardContext c)
    {
        var (dy, _) = KeptGradient(c, c.Dy(0)!);
        c.Add(0, c.E.ExpandLike(dy, c.X(0)));
    }

    /// <summary><paramref name="t"/> (shaped like the reduction's output) with the reduced axes re-inserted as 1 when
    /// keepdims = 0, and the reduced axes (empty for a no-op reduction).</summary>
    internal static (string Kept, long[] Axes) KeptGradient(BackwardContext c, string t)
    {
        long[] axes;
        bool keep;
        try { (axes, keep) = ShapeInference.ReduceAxes(c.Node, c.Opset, c.Constants, c.Shape(c.X(0)).Length); }
        catch (InvalidOperationException) { throw c.Fail("axes must be constant (an initializer or Constant node)"); }
        return (keep || axes.Length == 0 ? t : c.E.Unsqueeze(t, axes), axes);
    }
}
