namespace OnnxAudit.Autodiff.Rules;

/// <summary>Flatten: dx = Reshape(dy, Shape(x)).</summary>
internal sealed class FlattenRule : IGradientRule
{
    public string OpType => "Flatten";

    public void Backward(BackwardContext c) => c.Add(0, c.E.ReshapeLike(c.Dy(0)!, c.X(0)));
}
