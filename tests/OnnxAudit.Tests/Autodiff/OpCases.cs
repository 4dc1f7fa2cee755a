using OnnxAudit.Onnx;
using Onnx;
using static OnnxAudit.Onnx.NodeAttributes;
using static OnnxAudit.Tests.Autodiff.OpHarness;

namespace OnnxAudit.Tests.Autodiff;

/// <summary>The single-op cases every rule is checked on (several attribute combinations for Conv, ConvTranspose, MaxPool, Gemm).</summary>
public static class OpCases
{
    private static OpCase U(string op, long[] x, AttributeProto[]? a = null, long opset = 17, string? name = null) =>
        new(name ?? op, op, ["x"], [("x", x)], [], a ?? [], opset);

    private static OpCase B(string op, long[] a, long[] b, string suffix) =>
        new($"{op}_{suffix}", op, ["a", "b"], [("a", a), ("b", b)], [], []);

    public static IEnumerable<OpCase> All()
    {
        long[] x4 = [2, 3, 4, 5];
        // Gemm: every transpose combination, alpha/beta, C broadcast shapes
        yield return new("Gemm_plain_C_row", "Gemm", ["a", "b", "c"], [("a", [3, 4]), ("b", [4, 5]), ("c", [5])], [], []);
        yield return new("Gemm_transA_C_col_alpha_beta", "Gemm", ["a", "b", "c"], [("a", [4, 3]), ("b", [4, 5]), ("c", [3, 1])], [],
            [MakeInt("transA", 1), MakeFloat("alpha", 0.7f), MakeFloat("beta", 1.3f)]);
        yield return new("Gemm_transB_C_full", "Gemm", ["a", "b", "c"], [("a", [3, 4]), ("b", [5, 4]), ("c", [3, 5])], [], [MakeInt("transB", 1), MakeFloat("beta", -0.5f)]);
        yield return new("Gemm_transA_transB_C_scalar", "Gemm", ["a", "b", "c"], [("a", [4, 3]), ("b", [5, 4]), ("c", [1])], [],
            [MakeInt("transA", 1), MakeInt("transB", 1), MakeFloat("alpha", -1.5f)]);
        yield return new("Gemm_no_C_opset11", "Gemm", ["a", "b"], [("a", [3, 4]), ("b", [4, 2])], [], [], 11);
        // MatMul
        yield return B("MatMul", [2, 3, 4], [4, 5], "batched_x_2d");
        yield return B("MatMul", [2, 3, 2, 4], [4, 5], "rank4_x_2d");
        yield return B("MatMul", [2, 3, 4], [4], "batched_x_vector");
        yield return B("MatMul", [2, 1, 3, 4], [3, 4, 2], "broadcast_batch");
        yield return B("MatMul", [4], [2, 4, 3], "vector_left");
        yield return B("MatMul", [3, 4], [4], "vector_right");
        // broadcasting arithmetic
        foreach (var op in new[] { "Add", "Sub", "Mul", "Div" })
        {
            yield return B(op, [2, 3, 4], [3, 1], "bcast_right");
            yield return B(op, [1, 3, 1], [2, 1, 4], "bcast_both");
        }
        // activations
        yield return U("Relu", x4);
        yield return U("LeakyRelu", x4, [MakeFloat("alpha", 0.2f)]);
        yield return new("PRelu_channel_slope", "PRelu", ["x", "s"], [("x", x4), ("s", [3, 1, 1])], [], []);
        yield return new("PRelu_scalar_slope_opset11", "PRelu", ["x", "s"], [("x", x4), ("s", [1])], [], [], 11);
        yield return U("Sigmoid", x4);
        yield return U("Tanh", x4);
        yield return U("Elu", x4, [MakeFloat("alpha", 0.7f)]);
        yield return U("Softplus", x4);
        yield return new("Clip_min_max", "Clip", ["x", "lo", "hi"], [("x", x4)], [F32("lo", -0.55f), F32("hi", 0.45f)], []);
        yield return new("Clip_max_only_opset11", "Clip", ["x", "", "hi"], [("x", x4)], [F32("hi", 0.25f)], [], 11);
        // convolution
        yield return new("Conv_s1_p1_bias", "Conv", ["x", "w", "b"], [("x", [2, 3, 7, 7]), ("w", [4, 3, 3, 3]), ("b", [4])], [], [Ints("pads", 1, 1, 1, 1)]);
        yield return new("Conv_s2_asym_pads", "Conv", ["x", "w"], [("x", [2, 3, 7, 6]), ("w", [4, 3, 3, 2])], [], [Ints("strides", 2, 2), Ints("pads", 1, 0, 2, 1)]);
        yield return new("Conv_dilation2", "Conv", ["x", "w", "b"], [("x", [1, 2, 8, 8]), ("w", [3, 2, 3, 3]), ("b", [3])], [], [Ints("dilations", 2, 2)]);
        yield return new("Conv_depthwise", "Conv", ["x", "w", "b"], [("x", [2, 3, 6, 6]), ("w", [6, 1, 3, 3]), ("b", [6])], [], [MakeInt("group", 3), Ints("pads", 1, 1, 1, 1)]);
        yield return new("Conv_group2_s2", "Conv", ["x", "w"], [("x", [2, 4, 7, 7]), ("w", [6, 2, 3, 3])], [], [MakeInt("group", 2), Ints("strides", 2, 2), Ints("pads", 1, 1, 1, 1)]);
        yield return new("Conv_k5_s2_p2_same_upper", "Conv", ["x", "w"], [("x", [1, 2, 8, 8]), ("w", [2, 2, 5, 5])], [], [Ints("strides", 2, 2), MakeStr("auto_pad", "SAME_UPPER")]);
        yield return new("Conv_s3_dil2_opset11", "Conv", ["x", "w"], [("x", [2, 2, 9, 10]), ("w", [3, 2, 2, 3])], [], [Ints("strides", 3, 2), Ints("dilations", 2, 1), Ints("pads", 0, 1, 1, 0)], 11);
        // transposed convolution
        yield return new("ConvTranspose_s2_p1_op1_bias", "ConvTranspose", ["x", "w", "b"], [("x", [2, 3, 4, 4]), ("w", [3, 2, 3, 3]), ("b", [2])], [],
            [Ints("strides", 2, 2), Ints("pads", 1, 1, 1, 1), Ints("output_padding", 1, 1)]);
        yield return new("ConvTranspose_group3", "ConvTranspose", ["x", "w"], [("x", [1, 3, 4, 5]), ("w", [3, 1, 3, 3])], [], [MakeInt("group", 3)]);
        yield return new("ConvTranspose_dil2_s2_asym", "ConvTranspose", ["x", "w"], [("x", [2, 2, 3, 4]), ("w", [2, 3, 2, 3])], [],
            [Ints("strides", 2, 2), Ints("dilations", 2, 2), Ints("pads", 0, 1, 1, 0)]);
        // pooling
        // issue 16's faster graphs: flipped-weight Conv input gradient (≥ 16 channels, stride 1), swapped weight gradient
        // (fewer output than input channels / ConvTranspose with fewer input channels), Indices-free MaxPool (k = 3 blocks)
        yield return new("Conv_16ch_s1_p1_flipped_input_grad", "Conv", ["x", "w", "b"], [("x", [1, 16, 4, 4]), ("w", [16, 16, 3, 3]), ("b", [16])], [], [Ints("pads", 1, 1, 1, 1)]);
        yield return new("Conv_16ch_dil2_asym_flipped_input_grad", "Conv", ["x", "w"], [("x", [1, 16, 5, 4]), ("w", [17, 16, 2, 2])], [], [Ints("dilations", 2, 2), Ints("pads", 1, 0, 2, 1)]);
        yield return new("Conv_16ch_s2_p1_im2col_weight_grad", "Conv", ["x", "w", "b"], [("x", [2, 16, 7, 7]), ("w", [16, 16, 3, 3]), ("b", [16])], [], [Ints("strides", 2, 2), Ints("pads", 1, 1, 1, 1)]);
        yield return new("Conv_s1_fewer_out_channels_swapped_weight_grad", "Conv", ["x", "w", "b"], [("x", [2, 5, 6, 5]), ("w", [2, 5, 3, 3]), ("b", [2])], [], [Ints("pads", 1, 0, 2, 1)]);
        yield return new("ConvTranspose_s1_fewer_in_channels_swapped_weight_grad", "ConvTranspose", ["x", "w", "b"], [("x", [2, 2, 4, 5]), ("w", [2, 5, 3, 3]), ("b", [5])], [], [Ints("pads", 1, 1, 1, 1)]);
        yield return new("MaxPool_k3_s3_blocks", "MaxPool", ["x"], [("x", [2, 2, 6, 9])], [], [Ints("kernel_shape", 3, 3), Ints("strides", 3, 3)], Distinct: true);
        yield return new("MaxPool_k2_s2", "MaxPool", ["x"], [("x", [2, 3, 6, 6])], [], [Ints("kernel_shape", 2, 2), Ints("strides", 2, 2)], Distinct: true);
        yield return new("MaxPool_k3_s1_p1_overlap", "MaxPool", ["x"], [("x", [2, 2, 5, 5])], [], [Ints("kernel_shape", 3, 3), Ints("pads", 1, 1, 1, 1)], Distinct: true);
        yield return new("MaxPool_k3_s2_ceil", "MaxPool", ["x"], [("x", [1, 2, 7, 6])], [], [Ints("kernel_shape", 3, 3), Ints("strides", 2, 2), MakeInt("ceil_mode", 1)], Distinct: true);
        yield return new("MaxPool_dil2", "MaxPool", ["x"], [("x", [1, 2, 7, 7])], [], [Ints("kernel_shape", 2, 2), Ints("dilations", 2, 2)], Distinct: true);
        yield return new("MaxPool_k3_s2_p1_opset13_onehot", "MaxPool", ["x"], [("x", [2, 2, 6, 6])], [], [Ints("kernel_shape", 3, 3), Ints("strides", 2, 2), Ints("pads", 1, 1, 1, 1)], 13, Distinct: true);
        yield return new("MaxPool_k2_opset11_onehot", "MaxPool", ["x"], [("x", [1, 2, 4, 4])], [], [Ints("kernel_shape", 2, 2), Ints("strides", 2, 2)], 11, Distinct: true);
        yield return new("AveragePool_k3_s2_p1_exclude_pad", "AveragePool", ["x"], [("x", [2, 2, 6, 7])], [], [Ints("kernel_shape", 3, 3), Ints("strides", 2, 2), Ints("pads", 1, 1, 1, 1)]);
        yield return new("AveragePool_k3_s2_p1_include_pad", "AveragePool", ["x"], [("x", [2, 2, 6, 7])], [], [Ints("kernel_shape", 3, 3), Ints("strides", 2, 2), Ints("pads", 1, 1, 1, 1), MakeInt("count_include_pad", 1)]);
        yield return new("AveragePool_k2_s2", "AveragePool", ["x"], [("x", [1, 3, 4, 4])], [], [Ints("kernel_shape", 2, 2), Ints("strides", 2, 2)]);
        yield return new("AveragePool_k3_s2_ceil", "AveragePool", ["x"], [("x", [1, 2, 6, 6])], [], [Ints("kernel_shape", 3, 3), Ints("strides", 2, 2), MakeInt("ceil_mode", 1)]);
        yield return U("GlobalAveragePool", x4);
        // shape ops
        yield return U("Flatten", x4, [MakeInt("axis", 2)], name: "Flatten_axis2");
        yield return new("Reshape", "Reshape", ["x", "shape"], [("x", x4)], [I64("shape", 6, -1)], []);
        // second-order graphs (issue 12): ops the backward graph emits
        yield return new("ScatterElements_add", "ScatterElements", ["x", "idx", "u"], [("x", [2, 3]), ("u", [2, 2])], [TensorData.FromInt64s("idx", [2, 2], [0, 2, 1, 1])],
            [MakeInt("axis", 1), MakeStr("reduction", "add")]);
        yield return new("ScatterElements_none", "ScatterElements", ["x", "idx", "u"], [("x", [2, 3]), ("u", [2, 2])], [TensorData.FromInt64s("idx", [2, 2], [0, 2, 1, 0])],
            [MakeInt("axis", 1)]);
        yield return new("GatherElements", "GatherElements", ["x", "idx"], [("x", [2, 3])], [TensorData.FromInt64s("idx", [2, 2], [0, 2, 1, 1])], [MakeInt("axis", 1)]);
        // why: fmod jumps where a/b crosses an integer; a constant divisor of 10 keeps |a/b| < 1 so the finite differences are smooth
        // (db is checked by the hand-derived test)
        yield return new("Mod_fmod", "Mod", ["a", "b"], [("a", [2, 3])], [F32("b", 10f)], [MakeInt("fmod", 1)]);
        yield return U("Transpose", x4, [Ints("perm", 2, 0, 3, 1)]);
        yield return new("Squeeze_opset13", "Squeeze", ["x", "axes"], [("x", [2, 1, 3, 1])], [I64("axes", 1, 3)], [], 13);
        yield return U("Squeeze", [2, 1, 3], [Ints("axes", 1)], 11, "Squeeze_opset11");
        yield return new("Unsqueeze_opset13", "Unsqueeze", ["x", "axes"], [("x", [2, 3])], [I64("axes", 0, 3)], [], 13);
        yield return U("Unsqueeze", [2, 3], [Ints("axes", 1)], 11, "Unsqueeze_opset11");
        yield return new("Concat_axis1", "Concat", ["a", "b", "c"], [("a", [2, 1, 3]), ("b", [2, 2, 3]), ("c", [2, 3, 3])], [], [MakeInt("axis", 1)]);
        // normalisation, inference no-ops, softmax
        yield return new("BatchNormalization", "BatchNormalization", ["x", "scale", "bias", "mean", "var"],
            [("x", x4), ("scale", [3]), ("bias", [3]), ("mean", [3]), ("var", [3])], [], [MakeFloat("epsilon", 1e-3f)]);
        yield return new("Dropout", "Dropout", ["x", "ratio"], [("x", x4)], [F32("ratio", 0.3f)], []);
        yield return U("Identity", x4);
        yield return U("Softmax", [2, 3, 4], [MakeInt("axis", 1)], name: "Softmax_axis1");
        yield return U("Softmax", [2, 3, 4], [MakeInt("axis", 1)], 11, "Softmax_axis1_opset11_coerced");
        yield return U("LogSoftmax", [2, 3, 4], null, name: "LogSoftmax_default_axis");
        yield return U("LogSoftmax", [2, 3, 4], [MakeInt("axis", 1)], 12, "LogSoftmax_axis1_opset12_coerced");
        yield return new("Pad_constant", "Pad", ["x", "pads", "cv"], [("x", x4)], [I64("pads", 0, 0, 1, 2, 0, 0, 2, 1), F32("cv", 0.5f)], []);
        yield return new("Pad_negative_opset11", "Pad", ["x", "pads"], [("x", x4)], [I64("pads", 0, 0, -1, 2, 0, 0, 1, -2)], [], 11);
        yield return new("Pad_axes_opset18", "Pad", ["x", "pads", "", "axes"], [("x", x4)], [I64("pads", 2, 1, 0, 3), I64("axes", 3, 2)], [], 18);
        foreach (var c in TorchvisionOpCases.All()) yield return c;
    }

    public static TheoryData<OpCase> Data()
    {
        var d = new TheoryData<OpCase>();
        foreach (var c in All()) d.Add(c);
        return d;
    }
}
