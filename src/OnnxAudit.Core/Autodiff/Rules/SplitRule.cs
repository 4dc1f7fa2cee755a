using static OnnxAudit.Onnx.NodeAttributes;

namespace OnnxAudit.Autodiff.Rules;

/// <summary>Split (split sizes as attribute before opset 13, as input from 13, or equal parts / num_outputs at 18):
/// dx = Concat(dy_0, …, dy_k) along the axis, zeros for outputs the loss does not depend on.</summary>
internal sealed class SplitRule : IGradientRule
{
    public string OpType => "Split";

    public void Backward(BackwardContext c)
    {
        var e = c.E;
        var axis = c.Int("axis", 0);
        if (axis < 0) axis += c.Shape(c.X(0)).Length;
        var parts = Enumerable.Range(0, c.Node.Output.Count)
            .Select(i => c.Dy(i) ?? e.ZerosLike(c.Y(i)))
            .ToArray();
        c.Add(0, parts.Length == 1 ? parts[0] : e.Op("Concat", parts, MakeInt("axis", axis)));
    }
}
