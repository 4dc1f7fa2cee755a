namespace OnnxAudit.Autodiff.Rules;

/// <summary>Clip (opset ≥ 11, min/max as optional inputs): dx = dy · 1{min ≤ x ≤ max} (PyTorch's clamp_backward,
/// gradient passes at the bounds). No gradient is produced for min/max.</summary>
internal sealed class ClipRule : IGradientRule
{
    public string OpType => "Clip";

    public void Backward(BackwardContext c)
    {
        var e = c.E;
        string? mask = null;
        if (c.HasInput(1)) mask = e.Op("Not", [e.Op("Less", [c.X(0), c.X(1)])]);
        if (c.HasInput(2))
        {
            var upper = e.Op("Not", [e.Op("Greater", [c.X(0), c.X(2)])]);
            mask = mask is null ? upper : e.Op("And", [mask, upper]);
        }
        c.Add(0, mask is null ? c.Dy(0)! : e.Where(mask, c.Dy(0)!, e.ScalarF(0)));
    }
}
