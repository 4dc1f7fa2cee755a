namespace OnnxAudit.Autodiff.Rules;

/// <summary>
/// Relu: dx = dy · 1{x &gt; 0} (PyTorch's threshold_backward gives 0 at x = 0), emitted as Mul(dy, Cast(Greater(x, 0)))
/// rather than Where: ONNX Runtime's float Mul is vectorised, its Where with a broadcast scalar is not (measured −29 % on
/// the backward pass, issue 16). The mask is 0 or 1, so the product equals the selection up to the sign of zero (dy·0 = −0
/// for dy &lt; 0); a non-finite dy where x ≤ 0 gives NaN here and 0 with Where, which no finite loss produces.
/// </summary>
internal sealed class ReluRule : IGradientRule
{
    public string OpType => "Relu";

    public void Backward(BackwardContext c)
    {
        var e = c.E;
        if (GradientGraphVariants.Legacy)
        {
            c.Add(0, e.Where(e.Op("Greater", [c.X(0), e.ScalarF(0)]), c.Dy(0)!, e.ScalarF(0)));
            return;
        }
        var mask = e.Cast(e.Op("Greater", [c.X(0), e.ScalarF(0)]), global::Onnx.TensorProto.Types.DataType.Float);
        c.Add(0, e.Mul(c.Dy(0)!, mask));
    }
}
