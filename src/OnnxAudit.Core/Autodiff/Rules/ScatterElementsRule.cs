namespace OnnxAudit.Autodiff.Rules;

/// <summary>
/// ScatterElements(data, indices, updates, axis, reduction none|add) — the op the MaxPool backward emits at opset ≥ 16, so
/// it is what a second-order (gradient-matching) graph differentiates. d updates = GatherElements(dy, indices, axis);
/// d data = dy for reduction add, and dy with the scattered positions zeroed for reduction none. Indices carry no gradient.
/// </summary>
internal sealed class ScatterElementsRule : IGradientRule
{
    public string OpType => "ScatterElements";

    public void Backward(BackwardContext c)
    {
        var e = c.E;
        var dy = c.Dy(0)!;
        var axis = c.Int("axis", 0);
        var reduction = c.Str("reduction", "none");
        if (reduction is not ("none" or "add")) throw c.Fail($"reduction '{reduction}' is not differentiable by the gradient builder (supported: none, add)");
        var axisAttr = Onnx.NodeAttributes.MakeInt("axis", axis);
        if (c.Needs(2)) c.Add(2, e.Op("GatherElements", [dy, c.X(1)], axisAttr));
        if (c.Needs(0))
        {
            if (reduction == "add")
            {
                c.Add(0, dy);
            }
            else
            {
                var zeros = e.Op("ConstantOfShape", [e.ShapeOf(c.X(1))], Onnx.NodeAttributes.MakeTensor("value", Onnx.TensorData.FromFloats("", [1], [0f])));
                c.Add(0, e.Op("ScatterElements", [dy, c.X(1), zeros], axisAttr));
            }
        }
    }
}
