namespace OnnxAudit.Autodiff.Rules;

/// <summary>Reshape: dx = Reshape(dy, Shape(x)).</summary>
internal sealed class ReshapeRule : IGradientRule
{
    public string OpType => "Reshape";

    public void Backward(BackwardContext c) => c.Add(0, c.E.ReshapeLike(c.Dy(0)!, c.X(0)));
}
