using OnnxAudit.Runtime;
using OnnxAudit.Graph;
using OnnxAudit.Onnx;

namespace OnnxAudit.Tests.Graph;

/// <summary>The analyzer on PyTorch-converted layers of Debian's libonnx-testdata (external corpus). Expectations
/// come from the PyTorch modules the cases were exported from (common_nn) and hand-computed output sizes
/// ⌊(in + 2p − d·(k − 1) − 1)/s⌋ + 1.</summary>
public class LibOnnxTestdataLayerTests
{
    private const string Root = "/usr/share/libonnx-testdata/data/pytorch-converted";

    public static TheoryData<string, long[], long[]> ConvCases() => new()
    {
        // case: [in, out, kH, kW, sH, sW, dH, dW, groups, inH, inW, outH, outW, params, hasBias], pads [t, l, b, r]
        // Conv2d(3, 4, (3, 2)) on 2×3×7×5: out (7−3+1, 5−2+1) = 5×4; params 4·3·3·2 + 4 = 76.
        { "test_Conv2d", [3, 4, 3, 2, 1, 1, 1, 1, 1, 7, 5, 5, 4, 76, 1], [0, 0, 0, 0] },
        // Conv2d(3, 4, 3, stride 2) on 6×6: ⌊(6−3)/2⌋+1 = 2; params 4·3·9 + 4 = 112.
        { "test_Conv2d_strided", [3, 4, 3, 3, 2, 2, 1, 1, 1, 6, 6, 2, 2, 112, 1], [0, 0, 0, 0] },
        // Conv2d(3, 4, 3, stride 2, padding 1) on 6×6: ⌊(6+2−3)/2⌋+1 = 3.
        { "test_Conv2d_padding", [3, 4, 3, 3, 2, 2, 1, 1, 1, 6, 6, 3, 3, 112, 1], [1, 1, 1, 1] },
        // Conv2d(3, 2, 3, stride 2, padding 1, dilation 2) on 8×8: ⌊(8+2−5)/2⌋+1 = 3; params 2·3·9 + 2 = 56.
        { "test_Conv2d_dilated", [3, 2, 3, 3, 2, 2, 2, 2, 1, 8, 8, 3, 3, 56, 1], [1, 1, 1, 1] },
        // Conv2d(4, 6, (3, 2), groups 2) on 6×5: 4×4; weight 6×2×3×2 → params 72 + 6 = 78.
        { "test_Conv2d_groups", [4, 6, 3, 2, 1, 1, 1, 1, 2, 6, 5, 4, 4, 78, 1], [0, 0, 0, 0] },
        // Depthwise Conv2d(4, 8, 3, groups 4) on 6×6: 4×4; weight 8×1×3×3 → 72 + 8 = 80.
        { "test_Conv2d_depthwise_with_multiplier", [4, 8, 3, 3, 1, 1, 1, 1, 4, 6, 6, 4, 4, 80, 1], [0, 0, 0, 0] },
        // Depthwise Conv2d(4, 4, 3, groups 4, padding 1) on 6×6: 6×6; 36 + 4 = 40.
        { "test_Conv2d_depthwise_padded", [4, 4, 3, 3, 1, 1, 1, 1, 4, 6, 6, 6, 6, 40, 1], [1, 1, 1, 1] },
        // Conv2d(3, 4, (3, 2), bias=False) on 6×5: 4×4; params 72.
        { "test_Conv2d_no_bias", [3, 4, 3, 2, 1, 1, 1, 1, 1, 6, 5, 4, 4, 72, 0], [0, 0, 0, 0] },
    };

    [Theory]
    [MemberData(nameof(ConvCases))]
    public void Conv2d_AttributesMatchTheModule(string name, long[] e, long[] pads)
    {
        var analysis = ModelAnalysis.Analyze(OnnxModel.Load(Path.Combine(Root, name, "model.onnx")));
        var layer = Assert.Single(analysis.Layers);
        Assert.Equal(LayerKind.Convolution, layer.Kind);
        var c = Assert.IsType<ConvInfo>(layer.Conv);
        Assert.Equal(e[0], c.InChannels);
        Assert.Equal(e[1], c.OutChannels);
        Assert.Equal((e[2], e[3]), (c.KernelH, c.KernelW));
        Assert.Equal((e[4], e[5]), (c.StrideH, c.StrideW));
        Assert.Equal((e[6], e[7]), (c.DilationH, c.DilationW));
        Assert.Equal(e[8], c.Groups);
        Assert.Equal((e[9], e[10]), (c.InputH, c.InputW));
        Assert.Equal((e[11], e[12]), (c.OutputH, c.OutputW));
        Assert.Equal(pads, c.Pads);
        Assert.Equal(e[13], layer.ParameterCount);
        Assert.Equal(e[13], analysis.ParameterCount);
        Assert.Equal(e[14] == 1, c.BiasName is not null);
        // The batch of these exports is fixed at 2; ONNX Runtime's output shape matches the computed one.
        Assert.Equal(2, analysis.BatchSize);
        Assert.Equal([2, e[1], e[11], e[12]], analysis.Tensors[layer.Output].Shape);
        Assert.Empty(analysis.SplitPoints);
    }

    // why: the pytorch-converted test_Linear uses Gemm-6 (broadcast attribute), which ONNX Runtime 1.29 has no
    // kernel for, so the node test with every Gemm attribute set is used instead.
    [Fact]
    public void Gemm_AllAttributes_AreRead()
    {
        // Y = 0.25·Aᵀ·Bᵀ + 0.35·C with A 4×3, B 5×4: K = 4 in, N = 5 out, Y 3×5; B is a graph input, not a weight.
        var analysis = ModelAnalysis.Analyze(OnnxModel.Load("/usr/share/libonnx-testdata/data/node/test_gemm_all_attributes/model.onnx"));
        var layer = Assert.Single(analysis.Layers);
        Assert.Equal(LayerKind.Linear, layer.Kind);
        var l = Assert.IsType<LinearInfo>(layer.Linear);
        Assert.Equal((4L, 5L, true, true, false), (l.InFeatures, l.OutFeatures, l.TransA, l.TransB, l.FromMatMul));
        TestUtil.Numerics.AssertClose(expected: 0.25, actual: l.Alpha, atol: 0, rtol: 1e-7);
        TestUtil.Numerics.AssertClose(expected: 0.35, actual: l.Beta, atol: 0, rtol: 1e-7);
        Assert.Equal("", l.WeightName);
        Assert.Equal(0, layer.ParameterCount);
        Assert.Equal([3L, 5L], analysis.Tensors[layer.Output].Shape);
        Assert.Equal(["a", "b", "c"], analysis.Identity.Inputs.Select(i => i.Name));
    }

    [Fact]
    public void MaxPool_StridePaddingDilation()
    {
        // MaxPool kernel (60, 80), stride 10, padding (10, 20), dilation 10 on 1000×1000:
        // H ⌊(1000 + 20 − 591)/10⌋ + 1 = 43, W ⌊(1000 + 40 − 791)/10⌋ + 1 = 25.
        var analysis = ModelAnalysis.Analyze(OnnxModel.Load(Path.Combine(Root, "test_MaxPool2d_stride_padding_dilation", "model.onnx")));
        var p = Assert.IsType<PoolInfo>(Assert.Single(analysis.Layers).Pool);
        Assert.Equal([60L, 80L], p.Kernel);
        Assert.Equal([10L, 10L], p.Strides);
        Assert.Equal([10L, 10L], p.Dilations);
        Assert.Equal([10L, 20L, 10L, 20L], p.Pads);
        Assert.Equal([43L, 25L], p.OutputSpatial);
        Assert.Equal(43, Window.OutputSize(1000, 60, 10, 10, 10, 10, false));
        Assert.Equal(25, Window.OutputSize(1000, 80, 10, 10, 20, 20, false));
    }
}
