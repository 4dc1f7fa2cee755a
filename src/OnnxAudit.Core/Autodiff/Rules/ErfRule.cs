namespace OnnxAudit.Autodiff.Rules;

/// <summary>Erf: dx = dy · (2/√π) · exp(−x²).</summary>
internal sealed class ErfRule : IGradientRule
{
    public string OpType => "Erf";

    public void Backward(BackwardContext c)
    {
        var e = c.E;
        var x = c.X(0);
        var g = e.Op("Exp", [e.Neg(e.Mul(x, x))]);
        c.Add(0, e.Mul(c.Dy(0)!, e.Scale(g, 2 / Math.Sqrt(Math.PI))));
    }
}
