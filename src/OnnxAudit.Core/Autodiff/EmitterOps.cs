using OnnxAudit.Onnx;
using static OnnxAudit.Onnx.NodeAttributes;

namespace OnnxAudit.Autodiff;

/// <summary>Emission helpers shared by the rules added for the torchvision operators (kept beside
/// <see cref="GraphEmitter"/> as extensions).</summary>
internal static class EmitterOps
{
    /// <summary>Float zeros with the runtime shape of <paramref name="like"/>.</summary>
    public static string ZerosLike(this GraphEmitter e, string like) =>
        e.Op("ConstantOfShape", [e.ShapeOf(like)], MakeTensor("value", TensorData.FromFloats("", [1], [0f])));

    /// <summary>Reshape to static dims in which the symbolic batch (at most one) becomes −1.</summary>
    public static string ReshapeStatic(this GraphEmitter e, string x, long[] dims)
    {
        if (dims.Count(d => d < 0) > 1) throw new GradientBuildException($"cannot reshape '{x}' to [{string.Join(", ", dims)}]: more than one batch-sized dimension; re-export the model with one dynamic (batch) axis per reshape.");
        return e.Reshape(x, dims.Select(d => d < 0 ? -1 : d).ToArray());
    }

    /// <summary>Expand <paramref name="x"/> to the runtime shape of <paramref name="like"/>.</summary>
    public static string ExpandLike(this GraphEmitter e, string x, string like) => e.Op("Expand", [x, e.ShapeOf(like)]);

    /// <summary>Slice with steps (opset ≥ 10 input form).</summary>
    public static string SliceSteps(this GraphEmitter e, string x, long[] starts, long[] ends, long[] axes, long[] steps) =>
        e.Op("Slice", [x, e.ConstI64(starts), e.ConstI64(ends), e.ConstI64(axes), e.ConstI64(steps)]);

    /// <summary>Float 1 where <paramref name="a"/> equals <paramref name="b"/> (broadcast), else 0.</summary>
    public static string EqualMask(this GraphEmitter e, string a, string b) =>
        e.Cast(e.Op("Equal", [a, b]), global::Onnx.TensorProto.Types.DataType.Float);
}
