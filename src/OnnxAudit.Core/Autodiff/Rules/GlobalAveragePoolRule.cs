namespace OnnxAudit.Autodiff.Rules;

/// <summary>GlobalAveragePool: dx = Expand(dy, Shape(x)) / (H·W).</summary>
internal sealed class GlobalAveragePoolRule : IGradientRule
{
    public string OpType => "GlobalAveragePool";

    public void Backward(BackwardContext c)
    {
        var e = c.E;
        var xs = c.Shape(c.X(0));
        var area = xs[2..].Aggregate(1L, (a, b) => a * b);
        c.Add(0, e.Mul(e.Op("Expand", [c.Dy(0)!, e.ShapeOf(c.X(0))]), e.ScalarF(1f / area)));
    }
}
