namespace OnnxAudit.Autodiff.Rules;

/// <summary>ReduceMean (axes as attribute before opset 18, as input from 18; keepdims; noop_with_empty_axes):
/// dx = Expand(dy with the reduced axes kept, Shape(x)) / Π_reduced d.</summary>
internal sealed class ReduceMeanRule : IGradientRule
{
    public string OpType => "ReduceMean";

    public void Backward(BackwardContext c)
    {
        var xs = c.Shape(c.X(0));
        var (dy, axes) = ReduceSumRule.KeptGradient(c, c.Dy(0)!);
        if (axes.Any(a => xs[a] < 0)) throw c.Fail("averaging over the batch axis is not supported by the gradient builder");
        var count = axes.Aggregate(1L, (a, i) => a * xs[i]);
        c.Add(0, c.E.Scale(c.E.ExpandLike(dy, c.X(0)), 1.0 / count));
    }
}
