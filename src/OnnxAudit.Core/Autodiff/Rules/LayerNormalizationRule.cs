namespace OnnxAudit.Autodiff.Rules;

/// <summary>
/// LayerNormalization (opset 17; axis, epsilon; Mean/InvStdDev outputs not differentiable): over the normalised axes
/// (axis … rank−1, n elements) with x̂ = (x − μ)·r, r = 1/√(σ² + ε), and g = dy·scale:
/// dx = r·(g − mean(g) − x̂·mean(g·x̂)), dscale = Σ_broadcast dy·x̂, dB = Σ_broadcast dy. μ and r are recomputed.
/// </summary>
internal sealed class LayerNormalizationRule : IGradientRule
{
    public string OpType => "LayerNormalization";

    public void Backward(BackwardContext c)
    {
        if (c.Dy(1) is not null || c.Dy(2) is not null) throw c.Fail("the Mean and InvStdDev outputs are not differentiable");
        var e = c.E;
        var x = c.X(0);
        var xs = c.Shape(x);
        var axis = c.Int("axis", -1);
        if (axis < 0) axis += xs.Length;
        var axes = Enumerable.Range((int)axis, xs.Length - (int)axis).Select(v => (long)v).ToArray();
        if (axes.Any(a => xs[a] < 0)) throw c.Fail("normalising over the batch axis is not supported by the gradient builder");
        var inv = 1.0 / axes.Aggregate(1L, (a, i) => a * xs[i]);
        string Mean(string t) => e.Scale(e.ReduceSum(t, axes, keepDims: true), inv);
        var xc = e.Sub(x, Mean(x));
        var r = e.Div(e.ScalarF(1), e.Op("Sqrt", [e.Add(Mean(e.Mul(xc, xc)), e.ScalarF(c.Float("epsilon", 1e-5f)))]));
        var xhat = e.Mul(xc, r);
        var dy = c.Dy(0)!;
        if (c.Needs(0))
        {
            var g = e.Mul(dy, c.X(1));
            c.Add(0, e.Mul(r, e.Sub(e.Sub(g, Mean(g)), e.Mul(xhat, Mean(e.Mul(g, xhat))))));
        }
        if (c.Needs(1)) c.Add(1, e.ReduceToShape(e.Mul(dy, xhat), xs, c.Shape(c.X(1))));
        if (c.HasInput(2) && c.Needs(2)) c.Add(2, e.ReduceToShape(dy, xs, c.Shape(c.X(2))));
    }
}
