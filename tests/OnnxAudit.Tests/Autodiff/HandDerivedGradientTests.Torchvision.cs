using OnnxAudit.Onnx;
using Onnx;
using static OnnxAudit.Onnx.NodeAttributes;
using static OnnxAudit.Tests.Autodiff.OpHarness;
using static OnnxAudit.Tests.Autodiff.TorchvisionOpCases;

namespace OnnxAudit.Tests.Autodiff;

/// <summary>Hand-derived cases for the operators added for the torchvision classifiers (issue 17). Loss = mean((y − t)²),
/// so dL/dy = 2(y − t)/numel (t = 0 unless stated).</summary>
public partial class HandDerivedGradientTests
{
    private static OpCase Slice1D(long start, long end, long step) =>
        new("slice", "Slice", ["x", "s", "e", "a", "st"], [("x", [1, 4])], [I64("s", start), I64("e", end), I64("a", 1), I64("st", step)], []);

    [Fact]
    public void Slice_Backward_StepsPutGradientBackAtSelectedPositions()
    {
        // x = [1 2 3 4]; [::2] → y = [1, 3], dy = [1, 3] → dx = [1, 0, 3, 0]
        Check([1, 0, 3, 0], Grads(Slice1D(0, long.MaxValue, 2), new() { ["x"] = [1, 2, 3, 4] }, out _)["x"], "dx step 2");
        // [-1:-5:-2] → y = [4, 2], dy = [4, 2] → dx = [0, 2, 0, 4]
        Check([0, 2, 0, 4], Grads(Slice1D(-1, -5, -2), new() { ["x"] = [1, 2, 3, 4] }, out _)["x"], "dx step −2");
        // [1:-1] → y = [2, 3], dy = [2, 3] → dx = [0, 2, 3, 0]
        Check([0, 2, 3, 0], Grads(Slice1D(1, -1, 1), new() { ["x"] = [1, 2, 3, 4] }, out _)["x"], "dx negative end");
    }

    [Fact]
    public void Gather_Backward_RepeatedIndicesAccumulate()
    {
        // x = [1 2 3], idx = [0, 2, −3]: y = [1, 3, 1], dy = 2y/3 = [2/3, 2, 2/3] → dx = [4/3, 0, 2]
        var c = new OpCase("gather", "Gather", ["x", "i"], [("x", [3])], [I64("i", 0, 2, -3)], []);
        Check([4f / 3, 0, 2], Grads(c, new() { ["x"] = [1, 2, 3] }, out _)["x"], "dx");
    }

    [Theory]
    [InlineData(11)]
    [InlineData(13)]
    public void Split_Backward_UnusedOutputGetsZero(int opset)
    {
        // x = [1 2 3 4] split [1, 3]; only y = [1] reaches the loss: dy = 2 → dx = [2, 0, 0, 0]
        var c = opset >= 13
            ? new OpCase("split", "Split", ["x", "split"], [("x", [4])], [I64("split", 1, 3)], [], 13, Outputs: 2)
            : new OpCase("split", "Split", ["x"], [("x", [4])], [], [MakeInts("split", [1, 3])], 11, Outputs: 2);
        Check([2, 0, 0, 0], Grads(c, new() { ["x"] = [1, 2, 3, 4] }, out _)["x"], "dx");
    }

    [Fact]
    public void Expand_Backward_SumsTheCopies()
    {
        // x = [1; 2] expanded to 2×3: dy = 2y/6 = y/3 → dx = 3·[1/3, 2/3] = [1, 2]
        var c = new OpCase("expand", "Expand", ["x", "shape"], [("x", [2, 1])], [I64("shape", 2, 3)], []);
        Check([1, 2], Grads(c, new() { ["x"] = [1, 2] }, out _)["x"], "dx");
    }

    [Fact]
    public void Tile_Backward_SumsTheTiles()
    {
        // x = [1 2] tiled 3×: y = [1 2 1 2 1 2], dy = y/3 → dx = [1, 2]
        var c = new OpCase("tile", "Tile", ["x", "r"], [("x", [2])], [I64("r", 3)], []);
        Check([1, 2], Grads(c, new() { ["x"] = [1, 2] }, out _)["x"], "dx");
    }

    [Theory]
    [InlineData(11)]
    [InlineData(13)]
    public void ReduceSum_Backward_BroadcastsTheGradient(int opset)
    {
        // x = [1 2; 3 4], sum over axis 1 without keepdims: y = [3, 7], dy = [3, 7] → dx = [3 3; 7 7]
        var c = opset >= 13
            ? new OpCase("rs", "ReduceSum", ["x", "axes"], [("x", [2, 2])], [I64("axes", 1)], [MakeInt("keepdims", 0)], 13)
            : new OpCase("rs", "ReduceSum", ["x"], [("x", [2, 2])], [], [MakeInts("axes", [1]), MakeInt("keepdims", 0)], 11);
        Check([3, 3, 7, 7], Grads(c, new() { ["x"] = [1, 2, 3, 4] }, out _)["x"], "dx");
    }

    [Theory]
    [InlineData(17)]
    [InlineData(18)]
    public void ReduceMean_Backward_DividesByTheCount(int opset)
    {
        // x = [1 2; 3 4], mean over axis 1: y = [1.5, 3.5], dy = [1.5, 3.5] → dx = dy/2 per element
        var c = opset >= 18
            ? new OpCase("rm", "ReduceMean", ["x", "axes"], [("x", [2, 2])], [I64("axes", -1)], [MakeInt("keepdims", 0)], 18)
            : new OpCase("rm", "ReduceMean", ["x"], [("x", [2, 2])], [], [MakeInts("axes", [-1]), MakeInt("keepdims", 0)], 17);
        Check([0.75f, 0.75f, 1.75f, 1.75f], Grads(c, new() { ["x"] = [1, 2, 3, 4] }, out _)["x"], "dx");
    }

    [Fact]
    public void ReduceMax_Backward_TiesShareTheGradient()
    {
        // x = [1 3 3]: y = 3, dy = 6, split between the two maxima → dx = [0, 3, 3]
        var c = new OpCase("rmax", "ReduceMax", ["x"], [("x", [1, 3])], [], [MakeInts("axes", [1])]);
        Check([0, 3, 3], Grads(c, new() { ["x"] = [1, 3, 3] }, out _)["x"], "dx");
    }

    [Fact]
    public void ReduceMin_Backward_GoesToTheMinimum()
    {
        // x = [2 1 5]: y = 1, dy = 2 → dx = [0, 2, 0]
        var c = new OpCase("rmin", "ReduceMin", ["x"], [("x", [1, 3])], [], [MakeInts("axes", [1])]);
        Check([0, 2, 0], Grads(c, new() { ["x"] = [2, 1, 5] }, out _)["x"], "dx");
    }

    [Fact]
    public void Pow_Backward_HandDerived()
    {
        // 2³ = 8, dy = 16: da = dy·b·a^(b−1) = 16·3·4 = 192, db = dy·y·ln a = 128·ln 2
        var g = Grads(new("pow", "Pow", ["a", "b"], [("a", [1]), ("b", [1])], [], []), new() { ["a"] = [2], ["b"] = [3] }, out _);
        Check([192], g["a"], "da");
        Check([128 * MathF.Log(2)], g["b"], "db");
    }

    [Fact]
    public void Sqrt_Backward_HandDerived()
    {
        // √4 = 2, dy = 4 → dx = 4/(2·2) = 1
        Check([1], Grads(new("sqrt", "Sqrt", ["x"], [("x", [1])], [], []), new() { ["x"] = [4] }, out _)["x"], "dx");
    }

    [Fact]
    public void Exp_Backward_HandDerived()
    {
        // x = [0, ln 2]: y = [1, 2], dy = y → dx = dy·y = [1, 4]
        Check([1, 4], Grads(new("exp", "Exp", ["x"], [("x", [2])], [], []), new() { ["x"] = [0, MathF.Log(2)] }, out _)["x"], "dx");
    }

    [Fact]
    public void Log_Backward_HandDerived()
    {
        // x = [1, e]: y = [0, 1], dy = y → dx = dy/x = [0, 1/e]
        Check([0, 1 / MathF.E], Grads(new("log", "Log", ["x"], [("x", [2])], [], []), new() { ["x"] = [1, MathF.E] }, out _)["x"], "dx");
    }

    [Fact]
    public void Neg_Backward_HandDerived()
    {
        // x = [1, −2]: y = [−1, 2], dy = y → dx = −dy = [1, −2]
        Check([1, -2], Grads(new("neg", "Neg", ["x"], [("x", [2])], [], []), new() { ["x"] = [1, -2] }, out _)["x"], "dx");
    }

    [Fact]
    public void Abs_Backward_SignOfInput()
    {
        // x = [−2, 3, 0]: y = [2, 3, 0], t = [0, 0, −3]: dy = 2(y − t)/3 = [4/3, 2, 2] → dx = sign(x)·dy = [−4/3, 2, 0]
        var g = Grads(new("abs", "Abs", ["x"], [("x", [3])], [], []), new() { ["x"] = [-2, 3, 0] }, [0, 0, -3], out _, out _);
        Check([-4f / 3, 2, 0], g["x"], "dx");
    }

    [Fact]
    public void Erf_Backward_AtZero()
    {
        // erf(0) = 0, t = −1: dy = 2 → dx = 2·2/√π
        var g = Grads(new("erf", "Erf", ["x"], [("x", [1])], [], []), new() { ["x"] = [0] }, [-1], out _, out _);
        Check([4 / MathF.Sqrt(MathF.PI)], g["x"], "dx");
    }

    [Theory]
    [InlineData("none")]
    [InlineData("tanh")]
    public void Gelu_Backward_HandDerived(string approximate)
    {
        // at 0 both forms have slope ½: y = 0, t = −1, dy = 2 → dx = 1. At x = 1 (t = 0): dy = 2y.
        // none: y = Φ(1) = 0.841345, slope Φ(1) + φ(1) = 0.841345 + 0.241971 = 1.083316
        // tanh: u = √(2/π)·1.044715, τ = tanh u = 0.761554..: y = (1 + τ)/2, slope (1 + τ)/2 + ½(1 − τ²)·√(2/π)(1 + 3·0.044715)
        var c = new OpCase("gelu", "Gelu", ["x"], [("x", [2])], [], [MakeStr("approximate", approximate)], 20);
        double y1, slope;
        if (approximate == "none") { y1 = 0.8413447460685429; slope = 0.8413447460685429 + 0.24197072451914337; }
        else
        {
            var tau = Math.Tanh(Math.Sqrt(2 / Math.PI) * 1.044715);
            y1 = (1 + tau) / 2;
            slope = (1 + tau) / 2 + 0.5 * (1 - tau * tau) * Math.Sqrt(2 / Math.PI) * (1 + 3 * 0.044715);
        }
        // numel = 2: dy = (y − t) = [1, y1]
        var g = Grads(c, new() { ["x"] = [0, 1] }, [-1, 0], out _, out _);
        Check([0.5f, (float)(y1 * slope)], g["x"], "dx");
    }

    [Fact]
    public void HardSwish_Backward_ThreeRegions()
    {
        // x = [−4, 1.5, 4]: y = [0, 1.125, 4], t = [1, 1, 1]: dy = 2(y − t)/3 = [−2/3, 1/12, 2]
        // slope 0 below −3, x/3 + ½ = 1 at 1.5, 1 above 3 → dx = [0, 1/12, 2]
        var g = Grads(new("hs", "HardSwish", ["x"], [("x", [3])], [], [], 14), new() { ["x"] = [-4, 1.5f, 4] }, [1, 1, 1], out _, out _);
        Check([0, 1f / 12, 2], g["x"], "dx");
    }

    [Fact]
    public void HardSigmoid_Backward_ZeroWhereClipped()
    {
        // α = 0.2, β = 0.5, x = [−3, 0, 3]: y = [0, 0.5, 1], t = [1, 1, 0]: dy = [−2/3, −1/3, 2/3] → dx = [0, −0.2/3, 0]
        var g = Grads(new("hsig", "HardSigmoid", ["x"], [("x", [3])], [], []), new() { ["x"] = [-3, 0, 3] }, [1, 1, 0], out _, out _);
        Check([0, -0.2f / 3, 0], g["x"], "dx");
    }

    [Fact]
    public void LayerNormalization_Backward_HandDerived()
    {
        // x = [1 2 3], ε = 0: μ = 2, σ² = 2/3, r = a = √1.5, x̂ = y = [−a, 0, a] (scale 1, bias 0); t = [0, 0, 1]:
        // dy = 2(y − t)/3 = [−2a/3, 0, 2(a − 1)/3]; mean(dy) = −2/9, mean(dy·x̂) = 2/3 − 2a/9;
        // dx = r(dy − mean(dy) − x̂·mean(dy·x̂)) = [−a/9, 2a/9, −a/9]; dscale = dy·x̂ = [1, 0, 1 − 2a/3]; dB = dy
        var a = MathF.Sqrt(1.5f);
        var c = new OpCase("ln", "LayerNormalization", ["x", "s", "b"], [("x", [1, 3]), ("s", [3]), ("b", [3])], [], [MakeFloat("epsilon", 0)]);
        var g = Grads(c, new() { ["x"] = [1, 2, 3], ["s"] = [1, 1, 1], ["b"] = [0, 0, 0] }, [0, 0, 1], out _, out _);
        Check([-a / 9, 2 * a / 9, -a / 9], g["x"], "dx");
        Check([1, 0, 1 - 2 * a / 3], g["s"], "dscale");
        Check([-2 * a / 3, 0, 2 * (a - 1) / 3], g["b"], "dB");
    }

    [Fact]
    public void Cast_Backward_FloatToFloatPassesGradient()
    {
        // y = x = [1, 2], dy = y → dx = [1, 2]
        var c = new OpCase("cast", "Cast", ["x"], [("x", [2])], [], [MakeInt("to", (long)TensorProto.Types.DataType.Float)]);
        Check([1, 2], Grads(c, new() { ["x"] = [1, 2] }, out _)["x"], "dx");
    }

    [Fact]
    public void Where_Backward_RoutesByCondition()
    {
        // cond = [T, F], a = [1, 2], b = [3, 4]: y = [1, 4], dy = y → da = [1, 0], db = [0, 4]
        var c = new OpCase("where", "Where", ["c", "a", "b"], [("a", [2]), ("b", [2])], [Bools("c", [2], true, false)], []);
        var g = Grads(c, new() { ["a"] = [1, 2], ["b"] = [3, 4] }, out _);
        Check([1, 0], g["a"], "da");
        Check([0, 4], g["b"], "db");
    }

    [Fact]
    public void Max_Backward_TieSplitsEvenly()
    {
        // a = [1, 5], b = [3, 5]: y = [3, 5], dy = y; the tie at 5 gives half to each → da = [0, 2.5], db = [3, 2.5]
        var g = Grads(new("max", "Max", ["a", "b"], [("a", [2]), ("b", [2])], [], []), new() { ["a"] = [1, 5], ["b"] = [3, 5] }, out _);
        Check([0, 2.5f], g["a"], "da");
        Check([3, 2.5f], g["b"], "db");
    }

    [Fact]
    public void Min_Backward_GoesToTheSmaller()
    {
        // a = [1, 5], b = [3, 2]: y = [1, 2], dy = y → da = [1, 0], db = [0, 2]
        var g = Grads(new("min", "Min", ["a", "b"], [("a", [2]), ("b", [2])], [], []), new() { ["a"] = [1, 5], ["b"] = [3, 2] }, out _);
        Check([1, 0], g["a"], "da");
        Check([0, 2], g["b"], "db");
    }

    [Fact]
    public void Sum_Backward_BroadcastOperandSumsGradient()
    {
        // a = [1, 2] + b = [3]: y = [4, 5], dy = y → da = [4, 5], db = [9]
        var g = Grads(new("sum", "Sum", ["a", "b"], [("a", [2]), ("b", [1])], [], []), new() { ["a"] = [1, 2], ["b"] = [3] }, out _);
        Check([4, 5], g["a"], "da");
        Check([9], g["b"], "db");
    }

    [Fact]
    public void Mean_Backward_DividesByOperandCount()
    {
        // mean([1, 3], [3, 5]) = [2, 4], dy = y → da = db = dy/2 = [1, 2]
        var g = Grads(new("mean", "Mean", ["a", "b"], [("a", [2]), ("b", [2])], [], []), new() { ["a"] = [1, 3], ["b"] = [3, 5] }, out _);
        Check([1, 2], g["a"], "da");
        Check([1, 2], g["b"], "db");
    }

    [Fact]
    public void GlobalMaxPool_Backward_GoesToTheMaximum()
    {
        // x = [1 4; 2 3]: y = 4, dy = 8 → dx = [0, 8, 0, 0]
        var g = Grads(new("gmp", "GlobalMaxPool", ["x"], [("x", [1, 1, 2, 2])], [], []), new() { ["x"] = [1, 4, 2, 3] }, out _);
        Check([0, 8, 0, 0], g["x"], "dx");
    }

    [Fact]
    public void Resize_Backward_NearestAndLinear()
    {
        // nearest ×2 (asymmetric, floor): x = [1 2] → y = [1 1 2 2], dy = y/2 → dx = [1, 2]
        var nearest = new OpCase("rn", "Resize", ["x", "", "scales"], [("x", [1, 1, 1, 2])], [F32s("scales", [4], 1, 1, 1, 2)],
            [MakeStr("mode", "nearest"), MakeStr("coordinate_transformation_mode", "asymmetric"), MakeStr("nearest_mode", "floor")], 13);
        Check([1, 2], Grads(nearest, new() { ["x"] = [1, 2] }, out _)["x"], "dx nearest");
        // linear, align_corners, 2 → 3: y = [1, 1.5, 2], dy = 2y/3 = [2/3, 1, 4/3] → dx = [2/3 + 1/2, 4/3 + 1/2]
        var linear = new OpCase("rl", "Resize", ["x", "", "", "sizes"], [("x", [1, 1, 1, 2])], [I64("sizes", 1, 1, 1, 3)],
            [MakeStr("mode", "linear"), MakeStr("coordinate_transformation_mode", "align_corners")], 13);
        Check([7f / 6, 11f / 6], Grads(linear, new() { ["x"] = [1, 2] }, out _)["x"], "dx linear");
    }

    [Fact]
    public void Einsum_Backward_MatrixVector()
    {
        // "ij,j": [1 2]·[3 4] = 11, dy = 22 → da = 22·b = [66, 88], db = 22·a = [22, 44]
        var g = Grads(new("einsum", "Einsum", ["a", "b"], [("a", [1, 2]), ("b", [2])], [], [MakeStr("equation", "ij,j")]), new() { ["a"] = [1, 2], ["b"] = [3, 4] }, out _);
        Check([66, 88], g["a"], "da");
        Check([22, 44], g["b"], "db");
    }
}
