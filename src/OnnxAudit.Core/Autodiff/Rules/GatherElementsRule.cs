namespace OnnxAudit.Autodiff.Rules;

/// <summary>
/// GatherElements(data, indices, axis) — emitted by the ScatterElements backward, so needed for third-order use and for
/// models that contain it: d data = ScatterElements(zeros_like(data), indices, dy, axis, reduction add) (opset ≥ 16).
/// </summary>
internal sealed class GatherElementsRule : IGradientRule
{
    public string OpType => "GatherElements";

    public void Backward(BackwardContext c)
    {
        if (!c.Needs(0)) return;
        if (c.Opset < 16) throw c.Fail("the GatherElements backward needs ScatterElements with reduction=add (opset ≥ 16); re-export with opset 17");
        var e = c.E;
        var zeros = e.Op("ConstantOfShape", [e.ShapeOf(c.X(0))], Onnx.NodeAttributes.MakeTensor("value", Onnx.TensorData.FromFloats("", [1], [0f])));
        c.Add(0, e.Op("ScatterElements", [zeros, c.X(1), c.Dy(0)!], Onnx.NodeAttributes.MakeInt("axis", c.Int("axis", 0)), Onnx.NodeAttributes.MakeStr("reduction", "add")));
    }
}
