using OnnxAudit.Onnx;
using OnnxAudit.Autodiff;
using OnnxAudit.Errors;
using Onnx;
using OnnxAudit.Tests.TestUtil;
using static OnnxAudit.Onnx.NodeAttributes;
using static OnnxAudit.Tests.Autodiff.OpHarness;

namespace OnnxAudit.Tests.Autodiff;

/// <summary>Small cases worked out by hand. Loss = mean(y²) (target 0), so dL/dy = 2y/numel.</summary>
public partial class HandDerivedGradientTests
{
    private static Dictionary<string, float[]> Grads(OpCase c, Dictionary<string, float[]> values, out float loss) =>
        Grads(c, values, null, out loss, out _);

    /// <summary>Loss = mean((y − target)²), so dL/dy = 2(y − target)/numel; a null target means 0. Also checks that every
    /// gradient has its operand's shape and returns the forward output's shape.</summary>
    private static Dictionary<string, float[]> Grads(OpCase c, Dictionary<string, float[]> values, float[]? target, out float loss, out long[] yDims)
    {
        var model = Model(c);
        using var fwd = Session(model);
        var y = Run(fwd, c.FloatInputs.Select(f => (f.Name, values[f.Name], f.Dims))).First().Value;
        yDims = y.Dims;
        Assert.True(target is null || target.Length == y.Data.Length, $"{c.Name}: target has {target?.Length} values, output {y.Data.Length}");
        using var gs = Session(OnnxAudit.Autodiff.GradientGraphBuilder.Build(model, MseRequest(c)));
        var outs = Run(gs, c.FloatInputs.Select(f => (f.Name, values[f.Name], f.Dims)).Append((GradientNames.Target, target ?? new float[y.Data.Length], y.Dims)));
        loss = outs[GradientNames.Loss].Data[0];
        foreach (var (name, dims) in c.FloatInputs) Assert.Equal(dims, outs[GradientNames.Gradient(name)].Dims);
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
    public void MaxPool_Backward_OneUlpLargerLaterElement_GetsTheGradient()
    {
        // why (issue 17, densenet121 conv0): the only miss there is a pool0 window whose two largest inputs differ by 0.84
        // float32 ulps in float64; ONNX Runtime's conv rounded them the other way round and the gradient followed our
        // forward. The backward must follow the forward's own order however close: every path (Indices-free blocks,
        // ScatterElements on Indices, the opset-13 one-hot) gives the window's gradient to the element 1 ulp above the
        // first in scan order. x = [a, a, a⁺, a]: y = a⁺, dy = 2a⁺ at index 2.
        const float a = 0.23168048f;
        var b = MathF.BitIncrement(a);
        var x = new Dictionary<string, float[]> { ["x"] = [a, a, b, a] };
        float[] expected = [0, 0, 2 * b, 0];
        var blocks = new OpCase("mp", "MaxPool", ["x"], [("x", [1, 1, 2, 2])], [], [MakeInts("kernel_shape", [2, 2]), MakeInts("strides", [2, 2])]);
        var padded = new OpCase("mp", "MaxPool", ["x"], [("x", [1, 1, 2, 2])], [],
            [MakeInts("kernel_shape", [3, 3]), MakeInts("strides", [2, 2]), MakeInts("pads", [1, 1, 1, 1])]);
        foreach (var (what, c) in new[] { ("2×2 blocks, opset 17", blocks), ("3×3 s2 p1, opset 17", padded), ("3×3 s2 p1, opset 13", padded with { Opset = 13 }) })
        {
            var dx = Grads(c, x, out _)["x"];
            Assert.True(dx[0] == 0 && dx[1] == 0 && dx[3] == 0, $"{what}: gradient at the tied first elements: [{string.Join(", ", dx)}]");
            Check(expected, dx, $"dx {what}");
        }
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

    // ---- activations

    [Fact]
    public void LeakyRelu_Backward_HandDerived()
    {
        // α = 0.1, x = [−10, 2]: y = [−1, 2], loss = (1 + 4)/2 = 2.5, dy = 2y/2 = [−1, 2]; dx = dy·[α, 1] = [−0.1, 2]
        var g = Grads(new("lrelu", "LeakyRelu", ["x"], [("x", [1, 2])], [], [MakeFloat("alpha", 0.1f)]), new() { ["x"] = [-10, 2] }, out var loss);
        Check([-0.1f, 2], g["x"], "dx");
        Assert.Equal(2.5f, loss);
    }

    [Fact]
    public void PRelu_Backward_PerChannelSlope()
    {
        // x [1,2,1,2] = [−2, 3 | −4, 5], slope [2,1,1] = [0.5, 0.25]: y = [−1, 3, −1, 5], dy = 2y/4 = [−0.5, 1.5, −0.5, 2.5]
        // dx = dy·(x > 0 ? 1 : slope_c) = [−0.25, 1.5, −0.125, 2.5]; dslope_c = Σ_{x<0 in c} dy·x = [(−0.5)(−2), (−0.5)(−4)] = [1, 2]
        var g = Grads(new("prelu", "PRelu", ["x", "s"], [("x", [1, 2, 1, 2]), ("s", [2, 1, 1])], [], []),
            new() { ["x"] = [-2, 3, -4, 5], ["s"] = [0.5f, 0.25f] }, out _);
        Check([-0.25f, 1.5f, -0.125f, 2.5f], g["x"], "dx");
        Check([1, 2], g["s"], "dslope");
    }

    [Fact]
    public void Tanh_Backward_HandDerived()
    {
        // x = ±atanh(1/2): y = [1/2, −1/2], dy = 2y/2 = y; dx = dy·(1 − y²) = ±(1/2)(3/4) = [3/8, −3/8]
        var a = (float)Math.Atanh(0.5);
        Check([0.375f, -0.375f], Grads(new("tanh", "Tanh", ["x"], [("x", [2])], [], []), new() { ["x"] = [a, -a] }, out _)["x"], "dx");
    }

    [Fact]
    public void Elu_Backward_HandDerived()
    {
        // α = 1/2, x = [ln ½, 2]: y = [α(½ − 1), 2] = [−1/4, 2], dy = 2y/2 = y
        // dx = dy·[α·eˣ, 1] = [(−1/4)(1/4), 2] = [−1/16, 2]
        var g = Grads(new("elu", "Elu", ["x"], [("x", [2])], [], [MakeFloat("alpha", 0.5f)]), new() { ["x"] = [MathF.Log(0.5f), 2] }, out _);
        Check([-0.0625f, 2], g["x"], "dx");
    }

    [Fact]
    public void Softplus_Backward_HandDerived()
    {
        // x = [0, ln 3]: y = ln(1 + eˣ) = [ln 2, 2 ln 2], dy = 2y/2 = y; dx = dy·σ(x) = [ln2·½, 2 ln2·¾] = [½ ln 2, 3/2 ln 2]
        var g = Grads(new("sp", "Softplus", ["x"], [("x", [2])], [], []), new() { ["x"] = [0, MathF.Log(3)] }, out _);
        Check([0.5f * MathF.Log(2), 1.5f * MathF.Log(2)], g["x"], "dx");
    }

    [Fact]
    public void Clip_Backward_ZeroOutsideBounds()
    {
        // [lo, hi] = [−1, 2], x = [−3, ½, 4]: y = [−1, ½, 2], dy = 2y/3 = [−2/3, 1/3, 4/3]; only the unclipped middle passes: dx = [0, 1/3, 0]
        var g = Grads(new("clip", "Clip", ["x", "lo", "hi"], [("x", [3])], [F32("lo", -1), F32("hi", 2)], []), new() { ["x"] = [-3, 0.5f, 4] }, out _);
        Check([0, 1f / 3, 0], g["x"], "dx");
    }

    [Fact]
    public void LogSoftmax_Backward_HandDerived()
    {
        // x = [0, ln 3]: p = [¼, ¾], y = ln p; target = y − [1, 0] so dy = 2(y − t)/2 = [1, 0]
        // dx = dy − p·Σdy = [1 − ¼, 0 − ¾] = [¾, −¾]; loss = (1 + 0)/2 = ½
        float[] t = [MathF.Log(0.25f) - 1, MathF.Log(0.75f)];
        var g = Grads(new("lsm", "LogSoftmax", ["x"], [("x", [1, 2])], [], []), new() { ["x"] = [0, MathF.Log(3)] }, t, out var loss, out _);
        Check([0.75f, -0.75f], g["x"], "dx");
        Numerics.AssertClose(expected: 0.5, actual: loss, atol: 1e-6, rtol: 1e-6, what: "loss");
    }

    // ---- broadcasting arithmetic and MatMul

    [Fact]
    public void Sub_Backward_BroadcastReducesToOperandShape()
    {
        // a [2,1] = [1; 2], b [2] = [0, 1]: y = a − b = [1 0; 2 1], dy = 2y/4 = [½ 0; 1 ½]
        // da = row sums = [½, 3/2]; db = −column sums = −[3/2, ½]
        var g = Grads(new("sub", "Sub", ["a", "b"], [("a", [2, 1]), ("b", [2])], [], []), new() { ["a"] = [1, 2], ["b"] = [0, 1] }, out _);
        Check([0.5f, 1.5f], g["a"], "da");
        Check([-1.5f, -0.5f], g["b"], "db");
    }

    [Fact]
    public void Mul_Backward_BroadcastReducesToOperandShape()
    {
        // a [2,1] = [1; 2], b [2] = [3, 4]: y = [3 4; 6 8], dy = 2y/4 = [3/2 2; 3 4]
        // da_i = Σ_j dy_ij·b_j = [3/2·3 + 2·4, 3·3 + 4·4] = [12.5, 25]; db_j = Σ_i dy_ij·a_i = [3/2 + 6, 2 + 8] = [7.5, 10]
        var g = Grads(new("mul", "Mul", ["a", "b"], [("a", [2, 1]), ("b", [2])], [], []), new() { ["a"] = [1, 2], ["b"] = [3, 4] }, out _);
        Check([12.5f, 25], g["a"], "da");
        Check([7.5f, 10], g["b"], "db");
    }

    [Fact]
    public void Div_Backward_ScalarDivisor()
    {
        // a = [2, 6], b [1] = [2]: y = [1, 3], dy = 2y/2 = [1, 3]; da = dy/b = [½, 3/2]; db = −Σ dy·a/b² = −(2 + 18)/4 = −5
        var g = Grads(new("div", "Div", ["a", "b"], [("a", [2]), ("b", [1])], [], []), new() { ["a"] = [2, 6], ["b"] = [2] }, out _);
        Check([0.5f, 1.5f], g["a"], "da");
        Check([-5], g["b"], "db");
    }

    [Fact]
    public void MatMul_Backward_HandDerived()
    {
        // a [1,2] = [1 2], b [2,2] = [1 0; 2 1]: y = [5, 2], dy = 2y/2 = [5, 2]
        // da = dy·bᵀ = [5·1 + 2·0, 5·2 + 2·1] = [5, 12]; db = aᵀ·dy = [5 2; 10 4]
        var g = Grads(new("mm", "MatMul", ["a", "b"], [("a", [1, 2]), ("b", [2, 2])], [], []), new() { ["a"] = [1, 2], ["b"] = [1, 0, 2, 1] }, out _);
        Check([5, 12], g["a"], "da");
        Check([5, 2, 10, 4], g["b"], "db");
    }

    [Fact]
    public void MatMul_Backward_BatchedLeftSharedRight()
    {
        // a [2,1,2] = [[1 0]], [[0 1]]; b [2,1] = [2; 3]: y = [2, 3] ([2,1,1]), dy = 2y/2 = [2, 3]
        // da_n = dy_n·bᵀ = [4 6], [6 9]; db = Σ_n a_nᵀ·dy_n = [1·2, 0] + [0, 1·3] = [2; 3]
        var g = Grads(new("mmb", "MatMul", ["a", "b"], [("a", [2, 1, 2]), ("b", [2, 1])], [], []), new() { ["a"] = [1, 0, 0, 1], ["b"] = [2, 3] }, out _);
        Check([4, 6, 6, 9], g["a"], "da");
        Check([2, 3], g["b"], "db");
    }

    // ---- convolution and pooling

    [Fact]
    public void ConvTranspose_Backward_HandDerived()
    {
        // 1-D along width: x = [1, 2], w = [1, 3], b = 0: y = [1·1, 1·3 + 2·1, 2·3] = [1, 5, 6], dy = 2y/3 = [2/3, 10/3, 4]
        // dx_i = Σ_k dy[i+k]·w_k = [2/3 + 10, 10/3 + 12] = [32/3, 46/3]; dw_k = Σ_i x_i·dy[i+k] = [2/3 + 20/3, 10/3 + 8] = [22/3, 34/3]; db = Σ dy = 8
        var g = Grads(new("ct", "ConvTranspose", ["x", "w", "b"], [("x", [1, 1, 1, 2]), ("w", [1, 1, 1, 2]), ("b", [1])], [], []),
            new() { ["x"] = [1, 2], ["w"] = [1, 3], ["b"] = [0] }, out _);
        Check([32f / 3, 46f / 3], g["x"], "dx");
        Check([22f / 3, 34f / 3], g["w"], "dw");
        Check([8], g["b"], "db");
    }

    [Fact]
    public void ConvTranspose_Backward_Stride2()
    {
        // stride 2 along width: x = [1, 2], w = [1, 3]: y = [1, 3, 2, 6], dy = 2y/4 = [½, 3/2, 1, 3]
        // dx_i = dy[2i]·1 + dy[2i+1]·3 = [½ + 9/2, 1 + 9] = [5, 10]; dw_k = x_0·dy[k] + x_1·dy[2+k] = [½ + 2, 3/2 + 6] = [5/2, 15/2]
        var g = Grads(new("ct2", "ConvTranspose", ["x", "w"], [("x", [1, 1, 1, 2]), ("w", [1, 1, 1, 2])], [], [MakeInts("strides", [1, 2])]),
            new() { ["x"] = [1, 2], ["w"] = [1, 3] }, out _);
        Check([5, 10], g["x"], "dx");
        Check([2.5f, 7.5f], g["w"], "dw");
    }

    [Fact]
    public void GlobalAveragePool_Backward_SpreadsEvenly()
    {
        // x [1,2,2,2]: channel 0 = [1 2 3 4], channel 1 = [0 0 0 4]: y = [5/2, 1], dy = 2y/2 = [5/2, 1]; dx = dy/4 on every tap
        var g = Grads(new("gap", "GlobalAveragePool", ["x"], [("x", [1, 2, 2, 2])], [], []), new() { ["x"] = [1, 2, 3, 4, 0, 0, 0, 4] }, out _);
        Check([0.625f, 0.625f, 0.625f, 0.625f, 0.25f, 0.25f, 0.25f, 0.25f], g["x"], "dx");
    }

    [Fact]
    public void Pad_Backward_ConstantBorderGetsNoGradient()
    {
        // x [1,1,1,2] = [1, 2], one column of value 3 each side: y = [3, 1, 2, 3], loss = (9 + 1 + 4 + 9)/4 = 23/4,
        // dy = 2y/4 = [3/2, ½, 1, 3/2]; dx = the interior = [½, 1]
        var g = Grads(new("pad", "Pad", ["x", "pads", "cv"], [("x", [1, 1, 1, 2])], [I64("pads", 0, 0, 0, 1, 0, 0, 0, 1), F32("cv", 3)], []),
            new() { ["x"] = [1, 2] }, out var loss);
        Check([0.5f, 1], g["x"], "dx");
        Assert.Equal(5.75f, loss);
    }

    [Fact]
    public void BatchNormalization_Backward_HandDerived()
    {
        // x [1,1,1,2] = [3, 5], γ = 2, β = 1, μ = 1, σ² = 3, ε = 1: r = 1/√4 = ½, x̂ = (x − μ)·r = [1, 2], y = γx̂ + β = [3, 5]
        // dy = 2y/2 = [3, 5]; dx = dy·γr = [3, 5]; dγ = Σ dy·x̂ = 3 + 10 = 13; dβ = Σ dy = 8; dμ = −Σ dy·γr = −8;
        // dσ² = −½·Σ dy·(x − μ)·γ·r³ = −½·(3·2 + 5·4)·2·⅛ = −13/4
        var g = Grads(new("bn", "BatchNormalization", ["x", "scale", "bias", "mean", "var"],
            [("x", [1, 1, 1, 2]), ("scale", [1]), ("bias", [1]), ("mean", [1]), ("var", [1])], [], [MakeFloat("epsilon", 1)]),
            new() { ["x"] = [3, 5], ["scale"] = [2], ["bias"] = [1], ["mean"] = [1], ["var"] = [3] }, out _);
        Check([3, 5], g["x"], "dx");
        Check([13], g["scale"], "dscale");
        Check([8], g["bias"], "dbias");
        Check([-8], g["mean"], "dmean");
        Check([-3.25f], g["var"], "dvar");
    }

    // ---- shape ops: a non-zero target makes dy position-dependent, so a wrong layout of dx would show

    [Fact]
    public void Transpose_Backward_PermutesBack()
    {
        // x [2,3] = [1 2 3; 4 5 6], perm [1,0]: y [3,2] = [1 4; 2 5; 3 6]; t = [0 1; 2 3; 4 5] → y − t = [1 3; 0 2; −1 1]
        // dy = 2(y − t)/6 = [1/3 1; 0 2/3; −1/3 1/3]; dx = dyᵀ = [1/3 0 −1/3; 1 2/3 1/3]
        var g = Grads(new("tr", "Transpose", ["x"], [("x", [2, 3])], [], [MakeInts("perm", [1, 0])]), new() { ["x"] = [1, 2, 3, 4, 5, 6] },
            [0, 1, 2, 3, 4, 5], out _, out var yDims);
        Assert.Equal([3L, 2], yDims);
        Check([1f / 3, 0, -1f / 3, 1, 2f / 3, 1f / 3], g["x"], "dx");
    }

    [Fact]
    public void Concat_Backward_SplitsAlongAxis()
    {
        // a [1,1] = [1], b [1,2] = [2, 3], axis 1: y = [1, 2, 3], dy = 2y/3 = [2/3, 4/3, 2]; da = [2/3], db = [4/3, 2]
        var g = Grads(new("cat", "Concat", ["a", "b"], [("a", [1, 1]), ("b", [1, 2])], [], [MakeInt("axis", 1)]),
            new() { ["a"] = [1], ["b"] = [2, 3] }, out _);
        Check([2f / 3], g["a"], "da");
        Check([4f / 3, 2], g["b"], "db");
    }

    [Fact]
    public void Concat_Backward_Axis0ThreeInputs()
    {
        // a [1,2] = [1 2], b [2,2] = [3 4; 5 6], c [1,2] = [7 8], axis 0; target = 0 except t = 1 everywhere in b's rows
        // y − t = [1 2 | 2 3 4 5 | 7 8], dy = 2(y − t)/8 = (y − t)/4
        var g = Grads(new("cat0", "Concat", ["a", "b", "c"], [("a", [1, 2]), ("b", [2, 2]), ("c", [1, 2])], [], [MakeInt("axis", 0)]),
            new() { ["a"] = [1, 2], ["b"] = [3, 4, 5, 6], ["c"] = [7, 8] }, [0, 0, 1, 1, 1, 1, 0, 0], out _, out _);
        Check([0.25f, 0.5f], g["a"], "da");
        Check([0.5f, 0.75f, 1, 1.25f], g["b"], "db");
        Check([1.75f, 2], g["c"], "dc");
    }

    // Flatten, Reshape, Squeeze, Unsqueeze, Dropout and Identity keep the row-major order: dx = reshape(2(y − t)/n, shape of x).
    [Fact]
    public void Flatten_Backward_ReshapesBack()
    {
        // x [1,2,2] = [1 2 3 4], axis 1 → y [1,4]; t = [1 1 1 1]: dy = 2(y − t)/4 = [0, ½, 1, 3/2]
        var g = Grads(new("fl", "Flatten", ["x"], [("x", [1, 2, 2])], [], [MakeInt("axis", 1)]), new() { ["x"] = [1, 2, 3, 4] }, [1, 1, 1, 1], out _, out var yDims);
        Assert.Equal([1L, 4], yDims);
        Check([0, 0.5f, 1, 1.5f], g["x"], "dx");
    }

    [Fact]
    public void Reshape_Backward_ReshapesBack()
    {
        // x [2,2] = [1 2 3 4] → shape [4]; t = [4 3 2 1]: y − t = [−3, −1, 1, 3], dy = (y − t)/2 = [−3/2, −½, ½, 3/2]
        var g = Grads(new("rs", "Reshape", ["x", "shape"], [("x", [2, 2])], [I64("shape", 4)], []), new() { ["x"] = [1, 2, 3, 4] }, [4, 3, 2, 1], out _, out var yDims);
        Assert.Equal([4L], yDims);
        Check([-1.5f, -0.5f, 0.5f, 1.5f], g["x"], "dx");
    }

    [Theory]
    [InlineData(11)]
    [InlineData(13)]
    public void Squeeze_Backward_RestoresUnitAxes(int opset)
    {
        // x [1,2,1] = [1, 2], axes [0, 2] → y [2]; t = [3, 0]: y − t = [−2, 2], dy = 2(y − t)/2 = [−2, 2]
        var c = opset >= 13
            ? new OpCase("sq", "Squeeze", ["x", "axes"], [("x", [1, 2, 1])], [I64("axes", 0, 2)], [], opset)
            : new OpCase("sq", "Squeeze", ["x"], [("x", [1, 2, 1])], [], [MakeInts("axes", [0, 2])], opset);
        var g = Grads(c, new() { ["x"] = [1, 2] }, [3, 0], out _, out var yDims);
        Assert.Equal([2L], yDims);
        Check([-2, 2], g["x"], "dx");
    }

    [Theory]
    [InlineData(11)]
    [InlineData(13)]
    public void Unsqueeze_Backward_DropsInsertedAxes(int opset)
    {
        // x [2] = [1, 2], axes [0, 2] → y [1,2,1]; t = [3, 0]: dy = 2(y − t)/2 = [−2, 2]
        var c = opset >= 13
            ? new OpCase("usq", "Unsqueeze", ["x", "axes"], [("x", [2])], [I64("axes", 0, 2)], [], opset)
            : new OpCase("usq", "Unsqueeze", ["x"], [("x", [2])], [], [MakeInts("axes", [0, 2])], opset);
        var g = Grads(c, new() { ["x"] = [1, 2] }, [3, 0], out _, out var yDims);
        Assert.Equal([1L, 2, 1], yDims);
        Check([-2, 2], g["x"], "dx");
    }

    [Fact]
    public void Dropout_Backward_IdentityInInference()
    {
        // ratio 0.5 is ignored in inference: y = x = [1, 2], t = [0, 4]: dy = 2(y − t)/2 = [1, −2] = dx
        var g = Grads(new("do", "Dropout", ["x", "ratio"], [("x", [2])], [F32("ratio", 0.5f)], []), new() { ["x"] = [1, 2] }, [0, 4], out _, out _);
        Check([1, -2], g["x"], "dx");
    }

    [Fact]
    public void Identity_Backward_PassesGradient()
    {
        // y = x = [1, 2], t = [0, 4]: dy = 2(y − t)/2 = [1, −2] = dx; loss = (1 + 4)/2
        var g = Grads(new("id", "Identity", ["x"], [("x", [2])], [], []), new() { ["x"] = [1, 2] }, [0, 4], out var loss, out _);
        Check([1, -2], g["x"], "dx");
        Assert.Equal(2.5f, loss);
    }

    [Fact]
    public void ScatterElements_Add_DataGetsDy_UpdatesGetGatheredDy()
    {
        // x = [1, 2, 3], idx = [0, 2], u = [10, 20]: y = [11, 2, 23], dy = 2y/3; dx = dy, du = dy[idx] = [22/3, 46/3]
        var c = new OpCase("sc", "ScatterElements", ["x", "idx", "u"], [("x", [3]), ("u", [2])], [TensorData.FromInt64s("idx", [2], [0, 2])],
            [MakeInt("axis", 0), MakeStr("reduction", "add")]);
        var g = Grads(c, new() { ["x"] = [1, 2, 3], ["u"] = [10, 20] }, out _);
        Check([22f / 3, 4f / 3, 46f / 3], g["x"], "dx");
        Check([22f / 3, 46f / 3], g["u"], "du");
    }

    [Fact]
    public void GatherElements_Backward_ScattersAndAccumulates()
    {
        // x = [1, 2, 3], idx = [2, 0, 2]: y = [3, 1, 3], dy = 2y/3 = [2, 2/3, 2]; dx = [2/3, 0, 4]
        var c = new OpCase("ge", "GatherElements", ["x", "idx"], [("x", [3])], [TensorData.FromInt64s("idx", [3], [2, 0, 2])], [MakeInt("axis", 0)]);
        Check([2f / 3, 0, 4], Grads(c, new() { ["x"] = [1, 2, 3] }, out _)["x"], "dx");
    }

    [Fact]
    public void Mod_Fmod_HandDerived()
    {
        // a = 5.5, b = 2: y = 1.5, dy = 3; da = 3, db = −trunc(2.75)·3 = −6
        var c = new OpCase("mod", "Mod", ["a", "b"], [("a", [1]), ("b", [1])], [], [MakeInt("fmod", 1)]);
        var g = Grads(c, new() { ["a"] = [5.5f], ["b"] = [2] }, out _);
        Check([3], g["a"], "da");
        Check([-6], g["b"], "db");
    }

    [Fact]
    public void EverySupportedOp_HasAHandDerivedTest()
    {
        // naming convention: a hand-derived test of op X is a method named "X_…" in this class
        var names = typeof(HandDerivedGradientTests).GetMethods().Select(m => m.Name).ToArray();
        var missing = GradientRules.Supported.Where(op => !names.Any(n => n.StartsWith(op + "_", StringComparison.Ordinal))).ToArray();
        Assert.True(missing.Length == 0, "ops without a hand-derived test: " + string.Join(", ", missing));
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
