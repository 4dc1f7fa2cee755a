namespace OnnxAudit.Autodiff.Rules;

/// <summary>
/// BatchNormalization in inference mode: y = (x − μ)·γ/√(σ² + ε) + β with per-channel (axis 1) parameters.
/// dx = dy·γ·r, dγ = Σ dy·(x − μ)·r, dβ = Σ dy, dμ = −Σ dy·γ·r, dσ² = −½·Σ dy·(x − μ)·γ·r³ with r = 1/√(σ² + ε),
/// sums over every axis but 1. training_mode = 1 is rejected.
/// </summary>
internal sealed class BatchNormalizationRule : IGradientRule
{
    public string OpType => "BatchNormalization";

    public void Backward(BackwardContext c)
    {
        if (c.Int("training_mode", 0) != 0) throw c.Fail("training_mode=1 is not supported; gradients are computed for inference (eval) mode only");
        var e = c.E;
        var xs = c.Shape(c.X(0));
        var eps = c.Float("epsilon", 1e-5f);
        var dy = c.Dy(0)!;
        long[] bshape = [xs[1], .. Enumerable.Repeat(1L, xs.Length - 2)];
        long[] axes = [0, .. Enumerable.Range(2, xs.Length - 2).Select(v => (long)v)];
        string R(string t) => e.Reshape(t, bshape);
        var r = e.Op("Reciprocal", [e.Op("Sqrt", [e.Add(c.X(4), e.ScalarF(eps))])]);
        var gammaR = e.Mul(c.X(1), r);
        if (c.Needs(0)) c.Add(0, e.Mul(dy, R(gammaR)));
        string? centered = c.Needs(1) || c.Needs(4) ? e.Sub(c.X(0), R(c.X(3))) : null;
        string? sumDy = c.Needs(2) || c.Needs(3) ? e.ReduceSum(dy, axes, keepDims: false) : null;
        string? sumDyC = c.Needs(1) || c.Needs(4) ? e.ReduceSum(e.Mul(dy, centered!), axes, keepDims: false) : null;
        if (c.Needs(1)) c.Add(1, e.Mul(sumDyC!, r));
        if (c.Needs(2)) c.Add(2, sumDy!);
        if (c.Needs(3)) c.Add(3, e.Neg(e.Mul(sumDy!, gammaR)));
        if (c.Needs(4)) c.Add(4, e.Mul(e.Mul(sumDyC!, e.Mul(gammaR, e.Mul(r, r))), e.ScalarF(-0.5f)));
    }
}
