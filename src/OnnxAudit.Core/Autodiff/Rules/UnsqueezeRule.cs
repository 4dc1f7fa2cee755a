namespace OnnxAudit.Autodiff.Rules;

/// <summary>Unsqueeze: dx = Reshape(dy, Shape(x)).</summary>
internal sealed class UnsqueezeRule : IGradientRule
{
    public string OpType => "Unsqueeze";

    public void Backward(BackwardContext c) => c.Add(0, c.E.ReshapeLike(c.Dy(0)!, c.X(0)));
}
