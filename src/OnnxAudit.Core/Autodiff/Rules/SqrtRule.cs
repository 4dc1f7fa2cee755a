namespace OnnxAudit.Autodiff.Rules;

/// <summary>Sqrt: dx = dy / (2y).</summary>
internal sealed class SqrtRule : IGradientRule
{
    public string OpType => "Sqrt";

    public void Backward(BackwardContext c) => c.Add(0, c.E.Div(c.E.Scale(c.Dy(0)!, 0.5), c.Y(0)));
}
