namespace OnnxAudit.Autodiff.Rules;

/// <summary>Transpose(perm): dx = Transpose(dy, perm⁻¹).</summary>
internal sealed class TransposeRule : IGradientRule
{
    public string OpType => "Transpose";

    public void Backward(BackwardContext c)
    {
        var rank = c.Shape(c.X(0)).Length;
        var perm = c.Ints("perm") ?? Enumerable.Range(0, rank).Reverse().Select(v => (long)v).ToArray();
        var inv = new long[rank];
        for (var i = 0; i < rank; i++) inv[perm[i]] = i;
        c.Add(0, c.E.Transpose(c.Dy(0)!, inv));
    }
}
