namespace OnnxAudit.Autodiff.Rules;

/// <summary>Squeeze: dx = Reshape(dy, Shape(x)).</summary>
internal sealed class SqueezeRule : IGradientRule
{
    public string OpType => "Squeeze";

    public void Backward(BackwardContext c) => c.Add(0, c.E.ReshapeLike(c.Dy(0)!, c.X(0)));
}
