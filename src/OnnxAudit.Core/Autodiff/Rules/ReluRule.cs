namespace OnnxAudit.Autodiff.Rules;

/// <summary>Relu: dx = dy · 1{x &gt; 0} (PyTorch's threshold_backward gives 0 at x = 0).</summary>
internal sealed class ReluRule : IGradientRule
{
    public string OpType => "Relu";

    public void Backward(BackwardContext c)
    {
        var e = c.E;
        c.Add(0, e.Where(e.Op("Greater", [c.X(0), e.ScalarF(0)]), c.Dy(0)!, e.ScalarF(0)));
    }
}
