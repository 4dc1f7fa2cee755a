namespace OnnxAudit.Autodiff.Rules;

/// <summary>
/// Einsum (explicit or implicit output, no ellipsis, no repeated index within one operand, no broadcast size-1
/// indices): the gradient of operand i is Einsum(dy, the other operands) written back to operand i's indices, which
/// needs every index of operand i to appear in the output or another operand.
/// </summary>
internal sealed class EinsumRule : IGradientRule
{
    public string OpType => "Einsum";

    public void Backward(BackwardContext c)
    {
        string[] ins;
        string output;
        try { (ins, output) = ShapeInference.EinsumTerms(c.Node, c.Node.Input.Count); }
        catch (InvalidOperationException ex) { throw c.Fail("unsupported equation (" + ex.Message + ")"); }
        for (var i = 0; i < ins.Length; i++)
        {
            if (!c.Needs(i)) continue;
            var others = Enumerable.Range(0, ins.Length).Where(j => j != i).ToArray();
            var term = ins[i];
            if (term.Distinct().Count() != term.Length) throw c.Fail($"operand {i} repeats an index (diagonal), which is not supported");
            var available = output + string.Concat(others.Select(j => ins[j]));
            if (term.Any(ch => !available.Contains(ch, StringComparison.Ordinal)))
                throw c.Fail($"operand {i} has an index summed over that appears nowhere else, which is not supported");
            var eq = string.Join(",", [output, .. others.Select(j => ins[j])]) + "->" + term;
            c.Add(i, c.E.Op("Einsum", [c.Dy(0)!, .. others.Select(c.X)], Onnx.NodeAttributes.MakeStr("equation", eq)));
        }
    }
}
