namespace OnnxAudit.Autodiff.Rules;

/// <summary>Pad (mode constant): dx = dy cropped back to x, emitted as Slice with starts = pads_begin (a negative
/// pad, which crops in the forward, becomes zero padding of the gradient via a Pad node).</summary>
internal sealed class PadRule : IGradientRule
{
    public string OpType => "Pad";

    public void Backward(BackwardContext c)
    {
        var mode = c.Str("mode", "constant");
        if (mode != "constant") throw c.Fail($"mode '{mode}' is not supported by the gradient builder (constant only)");
        var e = c.E;
        var xs = c.Shape(c.X(0));
        var rank = xs.Length;
        long[] pads;
        try { pads = ShapeInference.PadAmounts(c.Node, c.Opset, c.Constants, rank); }
        catch (InvalidOperationException) { throw c.Fail("pads must be constant (an initializer or Constant node)"); }
        var g = c.Dy(0)!;
        // Undo negative pads (crops) by zero-padding the gradient, then crop the positive pads.
        var neg = pads.Select(p => Math.Max(0, -p)).ToArray();
        if (neg.Any(p => p != 0)) g = e.Pad(g, neg);
        var axes = new List<long>();
        var starts = new List<long>();
        var ends = new List<long>();
        for (var i = 0; i < rank; i++)
        {
            var b = Math.Max(0, pads[i]);
            var en = Math.Max(0, pads[i + rank]);
            if (b == 0 && en == 0) continue;
            axes.Add(i);
            starts.Add(b);
            ends.Add(en == 0 ? long.MaxValue : -en);
        }
        if (axes.Count > 0) g = e.Slice(g, [.. starts], [.. ends], [.. axes]);
        c.Add(0, g);
    }
}
