namespace OnnxAudit.Autodiff.Rules;

/// <summary>Identity: dx = dy.</summary>
internal sealed class IdentityRule : IGradientRule
{
    public string OpType => "Identity";

    public void Backward(BackwardContext c) => c.Add(0, c.Dy(0)!);
}
