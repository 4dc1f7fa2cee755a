using OnnxAudit.Onnx;
using Onnx;
using static OnnxAudit.Onnx.NodeAttributes;
using static OnnxAudit.Tests.Autodiff.OpHarness;

namespace OnnxAudit.Tests.Autodiff;

/// <summary>Single-op cases for the operators torchvision classifiers export (issue 17), appended to <see cref="OpCases"/>.</summary>
public static class TorchvisionOpCases
{
    private static OpCase U(string op, long[] x, AttributeProto[]? a = null, long opset = 17, string? name = null, bool positive = false, bool distinct = false) =>
        new(name ?? op, op, ["x"], [("x", x)], [], a ?? [], opset, Distinct: distinct, Positive: positive);

    internal static TensorProto F32s(string name, long[] dims, params float[] v) => TensorData.FromFloats(name, dims, v);

    internal static TensorProto Bools(string name, long[] dims, params bool[] v) =>
        TensorData.FromRaw<byte>(name, dims, TensorProto.Types.DataType.Bool, v.Select(b => (byte)(b ? 1 : 0)).ToArray());

    public static IEnumerable<OpCase> All()
    {
        long[] x4 = [2, 3, 4, 5];
        // slicing (ResNet-20 option-A shortcut x[:, :, ::2, ::2]; negative indices and steps; default axes; opset 11 inputs)
        yield return new("Slice_steps2_axes23", "Slice", ["x", "s", "e", "a", "st"], [("x", [2, 3, 5, 6])], [I64("s", 0, 0), I64("e", long.MaxValue, long.MaxValue), I64("a", 2, 3), I64("st", 2, 2)], []);
        yield return new("Slice_negative_indices_and_step", "Slice", ["x", "s", "e", "a", "st"], [("x", x4)], [I64("s", -1, 1), I64("e", -5, -1), I64("a", -1, 1), I64("st", -2, 1)], []);
        yield return new("Slice_default_axes_opset11", "Slice", ["x", "s", "e"], [("x", [3, 4])], [I64("s", 1, -3), I64("e", 3, 100)], [], 11);
        yield return new("Slice_step3_channels_opset13", "Slice", ["x", "s", "e", "a", "st"], [("x", [2, 8, 3])], [I64("s", 1), I64("e", 8), I64("a", 1), I64("st", 3)], [], 13);
        // gathering (ViT's class token x[:, 0]; repeated and negative indices)
        yield return new("Gather_axis1_scalar_index", "Gather", ["x", "i"], [("x", [2, 5, 3])], [TensorData.FromInt64s("i", [], [0])], [MakeInt("axis", 1)]);
        yield return new("Gather_axis0_repeated_negative_opset11", "Gather", ["x", "i"], [("x", [4, 3])], [TensorData.FromInt64s("i", [2, 2], [1, -1, 1, 0])], [], 11);
        // splitting (attribute before 13, input from 13, equal parts, num_outputs at 18)
        yield return new("Split_attr_opset11", "Split", ["x"], [("x", [2, 5, 3])], [], [MakeInt("axis", 1), Ints("split", 2, 3)], 11, Outputs: 2);
        yield return new("Split_input_opset13", "Split", ["x", "split"], [("x", [2, 6])], [I64("split", 1, 2, 3)], [MakeInt("axis", -1)], 13, Outputs: 3);
        yield return new("Split_equal_opset17", "Split", ["x"], [("x", [2, 4, 3])], [], [MakeInt("axis", 1)], 17, Outputs: 2);
        yield return new("Split_num_outputs_opset18", "Split", ["x"], [("x", [2, 5])], [], [MakeInt("axis", 1), MakeInt("num_outputs", 2)], 18, Outputs: 2);
        // broadcasting copies
        yield return new("Expand_to_rank3", "Expand", ["x", "shape"], [("x", [3, 1])], [I64("shape", 2, 1, 4)], []);
        yield return new("Tile_2x1x3", "Tile", ["x", "r"], [("x", [2, 3, 2])], [I64("r", 2, 1, 3)], []);
        // reductions (axes attribute / input, keepdims, noop_with_empty_axes)
        yield return U("ReduceSum", x4, [Ints("axes", 1, 3), MakeInt("keepdims", 0)], 11, "ReduceSum_attr_axes_opset11");
        yield return new("ReduceSum_input_axes_keepdims", "ReduceSum", ["x", "axes"], [("x", x4)], [I64("axes", -1)], [], 13);
        yield return U("ReduceSum", [2, 3], null, 13, "ReduceSum_all_axes_opset13");
        yield return U("ReduceMean", x4, [Ints("axes", 2, 3), MakeInt("keepdims", 0)], 17, "ReduceMean_spatial_opset17");
        yield return new("ReduceMean_input_axes_opset18", "ReduceMean", ["x", "axes"], [("x", x4)], [I64("axes", 1)], [], 18);
        yield return new("ReduceMean_noop_empty_axes_opset18", "ReduceMean", ["x", "axes"], [("x", [2, 3])], [TensorData.FromInt64s("axes", [0], [])], [MakeInt("noop_with_empty_axes", 1)], 18);
        yield return U("ReduceMax", x4, [Ints("axes", 1), MakeInt("keepdims", 0)], 13, "ReduceMax_attr_opset13", distinct: true);
        yield return new("ReduceMax_input_axes_opset18", "ReduceMax", ["x", "axes"], [("x", x4)], [I64("axes", 2, 3)], [], 18, Distinct: true);
        yield return U("ReduceMin", x4, [Ints("axes", 0, 2)], 17, "ReduceMin_attr_opset17", distinct: true);
        // elementwise
        yield return new("Pow_both_positive_broadcast", "Pow", ["a", "b"], [("a", [2, 3]), ("b", [3])], [], [], Positive: true);
        yield return new("Pow_const_exponent_2", "Pow", ["x", "p"], [("x", x4)], [F32("p", 2f)], []);
        yield return U("Sqrt", x4, positive: true);
        yield return U("Exp", x4);
        yield return U("Log", x4, positive: true);
        yield return U("Neg", x4);
        yield return U("Abs", x4);
        yield return U("Erf", x4);
        yield return U("Gelu", x4, null, 20, "Gelu_none_opset20");
        yield return U("Gelu", x4, [MakeStr("approximate", "tanh")], 20, "Gelu_tanh_opset20");
        yield return U("HardSwish", x4, null, 14);
        yield return U("HardSigmoid", x4, [MakeFloat("alpha", 0.5f), MakeFloat("beta", 0.125f)], name: "HardSigmoid_alpha_beta");
        yield return U("Cast", x4, [MakeInt("to", (long)TensorProto.Types.DataType.Float)], name: "Cast_float_to_float");
        yield return new("Where_broadcast", "Where", ["c", "a", "b"], [("a", [2, 3]), ("b", [3])], [Bools("c", [2, 3], true, false, true, false, false, true)], []);
        yield return new("Max_variadic_broadcast", "Max", ["a", "b", "c"], [("a", [2, 3]), ("b", [3]), ("c", [2, 1])], [], [], Distinct: true);
        yield return new("Min_binary_opset12", "Min", ["a", "b"], [("a", [2, 3]), ("b", [2, 3])], [], [], 12, Distinct: true);
        yield return new("Sum_variadic_broadcast", "Sum", ["a", "b", "c"], [("a", [2, 3]), ("b", [3]), ("c", [2, 1])], [], []);
        yield return new("Mean_variadic_broadcast", "Mean", ["a", "b"], [("a", [2, 3]), ("b", [1, 3])], [], []);
        // normalisation and pooling
        yield return new("LayerNormalization_last_axis", "LayerNormalization", ["x", "s", "b"], [("x", [2, 3, 4]), ("s", [4]), ("b", [4])], [], [MakeFloat("epsilon", 1e-5f)]);
        yield return new("LayerNormalization_axis1_no_bias", "LayerNormalization", ["x", "s"], [("x", [2, 3, 2]), ("s", [3, 2])], [], [MakeInt("axis", 1)], 18);
        yield return U("GlobalMaxPool", x4, distinct: true);
        // resizing (nearest as torch exports nn.Upsample, bilinear half-pixel / align-corners, downsampling by sizes)
        yield return new("Resize_nearest_asymmetric_floor_x2", "Resize", ["x", "", "scales"], [("x", [1, 2, 3, 2])], [F32s("scales", [4], 1, 1, 2, 2)],
            [MakeStr("mode", "nearest"), MakeStr("coordinate_transformation_mode", "asymmetric"), MakeStr("nearest_mode", "floor")], 13);
        yield return new("Resize_linear_pytorch_half_pixel", "Resize", ["x", "roi", "scales"], [("x", [1, 2, 3, 4])], [F32s("roi", [0]), F32s("scales", [4], 1, 1, 2, 1.5f)],
            [MakeStr("mode", "linear"), MakeStr("coordinate_transformation_mode", "pytorch_half_pixel")], 11);
        yield return new("Resize_linear_align_corners_sizes", "Resize", ["x", "", "", "sizes"], [("x", [2, 1, 4, 3])], [I64("sizes", 2, 1, 3, 5)],
            [MakeStr("mode", "linear"), MakeStr("coordinate_transformation_mode", "align_corners")], 18);
        yield return new("Resize_nearest_half_pixel_down_sizes", "Resize", ["x", "", "", "sizes"], [("x", [1, 1, 5, 4])], [I64("sizes", 1, 1, 3, 2)],
            [MakeStr("mode", "nearest")], 13);
        // einsum (batched matrix product, matrix-vector)
        yield return new("Einsum_batched_matmul", "Einsum", ["a", "b"], [("a", [2, 3, 4]), ("b", [2, 4, 2])], [], [MakeStr("equation", "bij,bjk->bik")], 12);
        yield return new("Einsum_implicit_matvec", "Einsum", ["a", "b"], [("a", [3, 4]), ("b", [4])], [], [MakeStr("equation", "ij,j")]);
        // the newest supported opset: the backward graph must still use valid operator versions
        yield return new("Slice_steps2_opset23", "Slice", ["x", "s", "e", "a", "st"], [("x", [2, 5])], [I64("s", -1), I64("e", long.MinValue), I64("a", 1), I64("st", -2)], [], 23);
        yield return new("Split_num_outputs_opset23", "Split", ["x"], [("x", [2, 5])], [], [MakeInt("axis", 1), MakeInt("num_outputs", 3)], 23, Outputs: 3);
        yield return new("ReduceMax_keepdims0_opset23", "ReduceMax", ["x", "axes"], [("x", [2, 3, 4])], [I64("axes", 1)], [MakeInt("keepdims", 0)], 23, Distinct: true);
        yield return new("LayerNormalization_opset23", "LayerNormalization", ["x", "s", "b"], [("x", [2, 6]), ("s", [6]), ("b", [6])], [], [], 23);
        yield return U("Gelu", [2, 3], [MakeStr("approximate", "tanh")], 23, "Gelu_tanh_opset23");
        yield return new("Resize_linear_half_pixel_opset23", "Resize", ["x", "", "scales"], [("x", [1, 2, 3, 3])], [F32s("scales", [4], 1, 1, 1.5f, 2)], [MakeStr("mode", "linear")], 23);
    }
}
