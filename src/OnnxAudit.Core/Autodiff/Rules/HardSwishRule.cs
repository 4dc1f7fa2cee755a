namespace OnnxAudit.Autodiff.Rules;

/// <summary>HardSwish: y = x·clip(x/6 + ½, 0, 1); dx = 0 for x &lt; −3, dy·(x/3 + ½) for −3 ≤ x ≤ 3, dy for x &gt; 3
/// (PyTorch's hardswish_backward).</summary>
internal sealed class HardSwishRule : IGradientRule
{
    public string OpType => "HardSwish";

    public void Backward(BackwardContext c)
    {
        var e = c.E;
        var x = c.X(0);
        var dy = c.Dy(0)!;
        var mid = e.Mul(dy, e.Add(e.Scale(x, 1.0 / 3), e.ScalarF(0.5f)));
        var inner = e.Where(e.Op("Greater", [x, e.ScalarF(3)]), dy, mid);
        c.Add(0, e.Where(e.Op("Less", [x, e.ScalarF(-3)]), e.ScalarF(0), inner));
    }
}
