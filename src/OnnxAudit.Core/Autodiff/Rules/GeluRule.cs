namespace OnnxAudit.Autodiff.Rules;

/// <summary>
/// Gelu (opset 20). approximate = "none": y = x·Φ(x), dx = dy·(Φ(x) + x·φ(x)) with Φ(x) = ½(1 + erf(x/√2)),
/// φ(x) = exp(−x²/2)/√(2π). approximate = "tanh": y = ½x(1 + t), t = tanh(√(2/π)(x + 0.044715x³)),
/// dx = dy·(½(1 + t) + ½x(1 − t²)·√(2/π)(1 + 3·0.044715x²)) — PyTorch's gelu_backward formulas.
/// </summary>
internal sealed class GeluRule : IGradientRule
{
    public string OpType => "Gelu";

    public void Backward(BackwardContext c)
    {
        var e = c.E;
        var x = c.X(0);
        var x2 = e.Mul(x, x);
        string d;
        var mode = c.Str("approximate", "none");
        if (mode == "none")
        {
            var cdf = e.Scale(e.Add(e.ScalarF(1), e.Op("Erf", [e.Scale(x, 1 / Math.Sqrt(2))])), 0.5);
            var pdf = e.Scale(e.Op("Exp", [e.Scale(x2, -0.5)]), 1 / Math.Sqrt(2 * Math.PI));
            d = e.Add(cdf, e.Mul(x, pdf));
        }
        else if (mode == "tanh")
        {
            const double k = 0.044715;
            var s = Math.Sqrt(2 / Math.PI);
            var inner = e.Scale(e.Add(x, e.Scale(e.Mul(x2, x), k)), s);
            var t = e.Op("Tanh", [inner]);
            var left = e.Scale(e.Add(e.ScalarF(1), t), 0.5);
            var sech2 = e.Sub(e.ScalarF(1), e.Mul(t, t));
            var dinner = e.Add(e.ScalarF((float)s), e.Scale(x2, 3 * k * s));
            d = e.Add(left, e.Mul(e.Scale(x, 0.5), e.Mul(sech2, dinner)));
        }
        else throw c.Fail($"approximate '{mode}' is not supported (none or tanh)");
        c.Add(0, e.Mul(c.Dy(0)!, d));
    }
}
