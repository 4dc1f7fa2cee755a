using OnnxAudit.Autodiff;
using OnnxAudit.Errors;
using OnnxAudit.Onnx.Proto;
using OnnxAudit.Tests.TestUtil;
using static OnnxAudit.Autodiff.NodeAttributes;
using static OnnxAudit.Tests.Autodiff.OpHarness;

namespace OnnxAudit.Tests.Autodiff;

/// <summary>Small cases worked out by hand. Loss = mean(y²) (target 0), so dL/dy = 2y/numel.</summary>
public class HandDerivedGradientTests
{
    private static Dictionary<string, float[]> Grads(OpCase c, Dictionary<string, float[]> values, out float loss)
    {
        var model = Model(c);
        using var fwd = Session(model);
        var y = Run(fwd, c.FloatInputs.Select(f => (f.Name, values[f.Name], f.Dims))).First().Value;
        using var gs = Session(OnnxAudit.Autodiff.GradientGraphBuilder.Build(model, MseRequest(c)));
        var outs = Run(gs, c.FloatInputs.Select(f => (f.Name, values[f.Name], f.Dims)).Append((GradientNames.Target, new float[y.Data.Length], y.Dims)));
        loss = outs[GradientNames.Loss].Data[0];
        return c.FloatInputs.ToDictionary(f => f.Name, f => outs[GradientNames.Gradient(f.Name)].Data);
    }

    private static void Check(float[] expected, float[] actual, string what) =>
        Numerics.AssertClose(expected: expected, actual: actual, atol: 1e-6, rtol: 1e-5, what: what);

    [Fact]
    public void Relu_Backward_ZeroForNegativeInput()
    {
        // y = [0, 2], dy = 2y/2 = [0, 2]
        var g = Grads(new("relu", "Relu", ["x"], [("x", [1, 2])], [], []), new() { ["x"] = [-1, 2] }, out var loss);
        Check([0, 2], g["x"], "dx");
        Assert.Equal(2f, loss);
    }

    [Fact]
    public void Gemm_Backward_HandDerived()
    {
        // y = [1 2]·[3 4]ᵀ + 1 = 12, dy = 24: dA = dy·Bᵀ = [72, 96], dB = Aᵀ·dy = [24, 48], dC = 24
        var g = Grads(new("gemm", "Gemm", ["a", "b", "c"], [("a", [1, 2]), ("b", [2, 1]), ("c", [1])], [], []),
            new() { ["a"] = [1, 2], ["b"] = [3, 4], ["c"] = [1] }, out _);
        Check([72, 96], g["a"], "dA");
        Check([24, 48], g["b"], "dB");
        Check([24], g["c"], "dC");
    }

    [Fact]
    public void Gemm_TransposedAlphaBeta_HandDerived()
    {
        // A stored transposed [2,1], B stored transposed [1,2], α = 2, β = 3: y = 2·(1·3 + 2·4) + 3·1 = 25, dy = 50
        // dA = α·dy·B = [300, 400] (shape of Aᵀ), dB = α·dy·A = [100, 200], dC = β·dy = 150
        var g = Grads(new("gemm_t", "Gemm", ["a", "b", "c"], [("a", [2, 1]), ("b", [1, 2]), ("c", [1, 1])], [],
            [MakeInt("transA", 1), MakeInt("transB", 1), MakeFloat("alpha", 2), MakeFloat("beta", 3)]),
            new() { ["a"] = [1, 2], ["b"] = [3, 4], ["c"] = [1] }, out _);
        Check([300, 400], g["a"], "dA");
        Check([100, 200], g["b"], "dB");
        Check([150], g["c"], "dC");
    }

    [Fact]
    public void MaxPool_Backward_TieGoesToFirstMaximum()
    {
        // all four equal: y = 1, dy = 2, PyTorch gives the whole gradient to the first element in scan order
        var c = new OpCase("mp", "MaxPool", ["x"], [("x", [1, 1, 2, 2])], [], [MakeInts("kernel_shape", [2, 2]), MakeInts("strides", [2, 2])]);
        Check([2, 0, 0, 0], Grads(c, new() { ["x"] = [1, 1, 1, 1] }, out _)["x"], "dx opset 17");
        Check([2, 0, 0, 0], Grads(c with { Opset = 13 }, new() { ["x"] = [1, 1, 1, 1] }, out _)["x"], "dx opset 13");
    }

    [Fact]
    public void MaxPool_Backward_OverlappingWindowsAccumulate()
    {
        // x = [0, 3, 1], windows of 2 with stride 1: y = [3, 3], dy = [3, 3]; both land on index 1
        var c = new OpCase("mp", "MaxPool", ["x"], [("x", [1, 1, 1, 3])], [], [MakeInts("kernel_shape", [1, 2])]);
        Check([0, 6, 0], Grads(c, new() { ["x"] = [0, 3, 1] }, out _)["x"], "dx opset 17");
        Check([0, 6, 0], Grads(c with { Opset = 11 }, new() { ["x"] = [0, 3, 1] }, out _)["x"], "dx opset 11");
    }

    [Fact]
    public void Conv_Backward_HandDerived()
    {
        // x = [1 2; 3 4], w = [1 0; 0 1]: y = 5, dy = 10, dW = 10·x, dX = 10·w, dB = 10
        var g = Grads(new("conv", "Conv", ["x", "w", "b"], [("x", [1, 1, 2, 2]), ("w", [1, 1, 2, 2]), ("b", [1])], [], []),
            new() { ["x"] = [1, 2, 3, 4], ["w"] = [1, 0, 0, 1], ["b"] = [0] }, out _);
        Check([10, 20, 30, 40], g["w"], "dW");
        Check([10, 0, 0, 10], g["x"], "dX");
        Check([10], g["b"], "dB");
    }

    [Theory]
    [InlineData(0, new float[] { 7f / 3, 11f / 3 })] // y = [2, 3, 4], dy = [4/3, 2, 8/3]; windows of 1, 2, 1 real taps
    [InlineData(1, new float[] { 4f / 3, 5f / 3 })] // y = [1, 3, 2], dy = [2/3, 2, 4/3]; every window divides by 2
    public void AveragePool_Backward_CountIncludePad(int includePad, float[] expected)
    {
        var c = new OpCase("ap", "AveragePool", ["x"], [("x", [1, 1, 1, 2])], [],
            [MakeInts("kernel_shape", [1, 2]), MakeInts("pads", [0, 1, 0, 1]), MakeInt("count_include_pad", includePad)]);
        Check(expected, Grads(c, new() { ["x"] = [2, 4] }, out _)["x"], "dx");
    }

    [Fact]
    public void Softmax_Backward_HandDerived()
    {
        // x = [0, ln 3]: y = [1/4, 3/4], dy = y; Σ dy·y = 5/8; dx = y·(dy − 5/8) = [−3/32, 3/32]
        var g = Grads(new("sm", "Softmax", ["x"], [("x", [1, 2])], [], []), new() { ["x"] = [0, MathF.Log(3)] }, out _);
        Check([-3f / 32, 3f / 32], g["x"], "dx");
    }

    [Fact]
    public void Add_Backward_BroadcastReducesToOperandShape()
    {
        // a = [1; 2] (2×1) + b = [0 0 0]: y rows [1 1 1], [2 2 2], dy = y/3; da = row sums [1, 2], db = column sums [1, 1, 1]
        var g = Grads(new("add", "Add", ["a", "b"], [("a", [2, 1]), ("b", [3])], [], []), new() { ["a"] = [1, 2], ["b"] = [0, 0, 0] }, out _);
        Check([1, 2], g["a"], "da");
        Check([1, 1, 1], g["b"], "db");
    }

    [Fact]
    public void Sigmoid_Backward_AtZero()
    {
        // y = 1/2, dy = 1, dx = y(1 − y) = 1/4
        Check([0.25f], Grads(new("sig", "Sigmoid", ["x"], [("x", [1])], [], []), new() { ["x"] = [0] }, out _)["x"], "dx");
    }

    [Fact]
    public void Build_UnsupportedOperator_ThrowsWithOpNodeOpsetAndList()
    {
        var c = new OpCase("cos", "Cos", ["x"], [("x", [1, 2])], [], []);
        var ex = Assert.Throws<UnsupportedOperatorException>(() => GradientGraphBuilder.Build(Model(c), MseRequest(c)));
        Assert.Equal("Cos", ex.OpType);
        Assert.Equal("op", ex.NodeName);
        Assert.Equal(17, ex.Opset);
        Assert.Contains("operator Cos (node 'op', opset 17) is not supported", ex.Message);
        Assert.Contains("ConvTranspose", ex.Message);
        Assert.Equal(GradientGraphBuilder.SupportedOperators, ex.Supported);
    }

    [Fact]
    public void Build_UnknownWithRespectTo_ThrowsNamingTheTensor()
    {
        var c = new OpCase("relu", "Relu", ["x"], [("x", [1, 2])], [], []);
        var ex = Assert.Throws<GradientBuildException>(() => GradientGraphBuilder.Build(Model(c), new GradientRequest(new SquaredErrorLoss("y"), ["nope"])));
        Assert.Contains("'nope'", ex.Message);
    }

    [Fact]
    public void Build_OpsetOutsideRange_Throws()
    {
        var c = new OpCase("relu", "Relu", ["x"], [("x", [1, 2])], [], [], Opset: 9);
        var ex = Assert.Throws<GradientBuildException>(() => GradientGraphBuilder.Build(Model(c), MseRequest(c)));
        Assert.Contains("opset 9", ex.Message);
    }
}
