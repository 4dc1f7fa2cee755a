using System.Globalization;
using Microsoft.ML.OnnxRuntime;
using OnnxAudit.Autodiff;
using OnnxAudit.Onnx;
using Onnx;
using OnnxAudit.Runtime;
using OnnxAudit.Tests.TestUtil;
using Xunit.Abstractions;
using static OnnxAudit.Tests.Autodiff.OpHarness;

namespace OnnxAudit.Tests.Autodiff;

/// <summary>Gradients w.r.t. the graph input under the inversion objective: feature matching at an intermediate tensor
/// plus total variation (and L2) on the input.</summary>
public class InputGradientTests(ITestOutputHelper output)
{
    private const string Features = "/relu_1/Relu_output_0";

    private static OnnxModel IdentityModel() =>
        Model(new OpCase("id", "Identity", ["x"], [("x", [1, 1, 2, 2])], [], []));

    [Fact]
    public void TotalVariation_HandDerived_OnTwoByTwoImage()
    {
        // x = [1 2; 3 4], y = Identity(x), target = x so the data term and its gradient are 0.
        // Δ_h x = [3 − 1, 4 − 2] = [2, 2], Δ_w x = [2 − 1, 4 − 3] = [1, 1]: TV = 4 + 4 + 1 + 1 = 10; λ = ½ → loss = 5.
        // ∂TV/∂x_ij = 2(Δ_h[i−1,j] − Δ_h[i,j]) + 2(Δ_w[i,j−1] − Δ_w[i,j]) (Δ = 0 outside its range):
        //   x00: 2(0 − 2) + 2(0 − 1) = −6, x01: 2(0 − 2) + 2(1 − 0) = −2, x10: 2(2 − 0) + 2(0 − 1) = 2, x11: 2(2 − 0) + 2(1 − 0) = 6
        // → λ·∇TV = [−3, −1, 1, 3].
        float[] x = [1, 2, 3, 4];
        using var s = GradientSessions.Create(IdentityModel(), new GradientRequest(new SquaredErrorLoss("y"), ["x"], TotalVariationWeight: 0.5),
            new RuntimeOptions(IntraOpThreads: 1));
        var run = s.Run(x, [1, 1, 2, 2], target: x);
        Assert.Equal(5f, run.Loss);
        Assert.Equal([-3f, -1, 1, 3], run.Gradient("x").ToArray());

        // with target 0 the data term adds mean(x²) = 30/4 and 2x/4 = [½, 1, 3/2, 2]: loss 12.5, gradient [−5/2, 0, 5/2, 5]
        run = s.Run(x, [1, 1, 2, 2], target: new float[4]);
        Assert.Equal(12.5f, run.Loss);
        Assert.Equal([-2.5f, 0, 2.5f, 5], run.Gradient("x").ToArray());
    }

    [Fact]
    public void L2_HandDerived_OnTwoByTwoImage()
    {
        // target = x: loss = μ·Σx² = 0.25·30 = 7.5, gradient 2μx = x/2
        float[] x = [1, 2, 3, 4];
        using var s = GradientSessions.Create(IdentityModel(), new GradientRequest(new SquaredErrorLoss("y"), ["x"], L2Weight: 0.25),
            new RuntimeOptions(IntraOpThreads: 1));
        var run = s.Run(x, [1, 1, 2, 2], target: x);
        Assert.Equal(7.5f, run.Loss);
        Assert.Equal([0.5f, 1, 1.5f, 2], run.Gradient("x").ToArray());
    }

    [Fact]
    public void TotalVariationAsInput_SameBitsAsConstantWeight_AndZeroAsNoTerm()
    {
        var model = OnnxModel.Load(RepoPaths.Model("lenet5"));
        var rng = new Random(3);
        var x = Enumerable.Range(0, 2 * 784).Select(_ => (float)rng.NextDouble()).ToArray();
        long[] dims = [2, 1, 28, 28];
        const double Lambda = 0.0123;
        (float Loss, float[] Grad) Once(GradientRequest request, IReadOnlyDictionary<string, float[]>? fed = null)
        {
            using var s = GradientSessions.Create(model, request, new RuntimeOptions(IntraOpThreads: 1));
            var target = new float[2 * 6 * 28 * 28];
            var run = s.Run(x, dims, target: target, parameters: fed);
            return (run.Loss, run.Gradient("input").ToArray());
        }
        var loss = new SquaredErrorLoss("/conv1/Conv_output_0");
        var constant = Once(new GradientRequest(loss, ["input"], TotalVariationWeight: Lambda));
        var fed = Once(new GradientRequest(loss, ["input"], TotalVariationWeight: Lambda, TotalVariationAsInput: true));
        var none = Once(new GradientRequest(loss, ["input"]));
        var fedZero = Once(new GradientRequest(loss, ["input"], TotalVariationWeight: Lambda, TotalVariationAsInput: true),
            new Dictionary<string, float[]> { [GradientNames.TotalVariationWeight] = [0f] });

        Assert.Equal(constant.Loss, fed.Loss);
        Assert.Equal(constant.Grad, fed.Grad);
        Assert.Equal(none.Loss, fedZero.Loss);
        Assert.Equal(none.Grad, fedZero.Grad);
        Assert.NotEqual(none.Grad, fed.Grad);
    }

    /// <summary>TV(x) = Σ(x[h+1,w] − x[h,w])² + Σ(x[h,w+1] − x[h,w])² for one H×W plane, in double.</summary>
    internal static double TotalVariation(ReadOnlySpan<float> x, int h, int w)
    {
        double tv = 0;
        for (var i = 0; i < h; i++)
            for (var j = 0; j < w; j++)
            {
                if (i + 1 < h) { double d = (double)x[(i + 1) * w + j] - x[i * w + j]; tv += d * d; }
                if (j + 1 < w) { double d = (double)x[i * w + j + 1] - x[i * w + j]; tv += d * d; }
            }
        return tv;
    }

    [Fact]
    public void TotalVariation_Helper_MatchesHandValue() =>
        Assert.Equal(10.0, TotalVariation([1f, 2, 3, 4], 2, 2));

    [Theory]
    [InlineData(0.0)]
    [InlineData(0.01)]
    public void FeatureMatchingPlusTV_InputGradient_MatchesFiniteDifferences(double lambda)
    {
        // lenet5's prefix up to the second ReLU (Conv → Relu → MaxPool → Conv → Relu), the split point of an inversion attack.
        var model = OnnxModel.Load(RepoPaths.Model("lenet5"));
        var fwdModel = model.Clone();
        fwdModel.Graph.Output.Clear();
        fwdModel.Graph.Output.Add(new ValueInfoProto { Name = Features, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float } } });
        using var fwd = Session(fwdModel);
        long[] dims = [1, 1, 28, 28];
        const int H = 28, W = 28;

        // x: an image blended with uniform noise (no flat background, so TV and ReLU patterns are non-trivial);
        // target: the features of another image (what the attacker observes).
        var (images, _) = BundledModelGradientTests.Samples([5, 42]);
        var rnd = new Random(3);
        var x = images.AsSpan(0, H * W).ToArray().Select(v => 0.8f * v + 0.2f * (float)rnd.NextDouble()).ToArray();
        var target = Feature(fwd, images.AsSpan(H * W, H * W).ToArray(), dims);

        double Loss()
        {
            var f = Feature(fwd, x, dims);
            double s = 0;
            for (var i = 0; i < f.Length; i++) { double d = (double)f[i] - target[i]; s += d * d; }
            return s / f.Length + lambda * TotalVariation(x, H, W);
        }

        using var gs = GradientSessions.Create(model, new GradientRequest(new SquaredErrorLoss(Features), ["input"], TotalVariationWeight: lambda),
            new RuntimeOptions(IntraOpThreads: 1));
        var run = gs.Run(x, dims, target: target);
        Numerics.AssertClose(expected: Loss(), actual: run.Loss, atol: 1e-6, rtol: 1e-5, what: "loss");
        var analytic = run.Gradient("input").ToArray();

        // why: conv, ReLU and max pooling make the features piecewise linear in x, so the loss (quadratic in the features,
        // plus the quadratic TV) is piecewise quadratic and a central difference is exact up to rounding inside one piece.
        // The loss is accumulated in double; what remains is float32 rounding of the features (measured ≤ ~2e-6 after dividing
        // by 2ε at ε = 1e-3). A pixel whose central differences at ε and ε/2 disagree has a ReLU/MaxPool switch within ε
        // (the loss is not differentiable there): it is skipped, and only a few may be.
        const double eps = 1e-3;
        double Central(int p, double step)
        {
            var orig = x[p];
            x[p] = (float)(orig + step);
            var hi = x[p];
            var lp = Loss();
            x[p] = (float)(orig - step);
            var lo = x[p];
            var lm = Loss();
            x[p] = orig;
            return (lp - lm) / ((double)hi - lo);
        }

        var pixels = Enumerable.Range(0, H * W).OrderBy(_ => rnd.Next()).ToArray();
        var expected = new List<double>();
        var actual = new List<double>();
        var skipped = 0;
        foreach (var p in pixels)
        {
            if (expected.Count == 30) break;
            var fd = Central(p, eps);
            if (Math.Abs(fd - Central(p, eps / 2)) > 1e-5)
            {
                skipped++;
                continue;
            }
            expected.Add(fd);
            actual.Add(analytic[p]);
        }
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"λ = {lambda}: checked {expected.Count}, skipped {skipped}, max |fd| = {expected.Max(Math.Abs):E3}, #|fd| > 1e-3: {expected.Count(v => Math.Abs(v) > 1e-3)}, max |a − fd| = {expected.Zip(actual, (e, a) => Math.Abs(a - e)).Max():E3}, worst |a − fd|/tol = {expected.Zip(actual, (e, a) => Math.Abs(a - e) / (1e-5 + 1e-3 * Math.Abs(e))).Max():F2}"));
        Assert.Equal(30, expected.Count);
        Assert.True(skipped <= 3, $"{skipped} of {skipped + 30} sampled pixels sit on a kink");
        // the check must be able to fail: the gradients compared are not all negligible
        Assert.True(expected.Count(v => Math.Abs(v) > 1e-3) >= 10, "fewer than 10 of the checked derivatives exceed 100× atol; the test would be weak");
        Numerics.AssertClose(expected: expected.ToArray(), actual: actual.ToArray(), atol: 1e-5, rtol: 1e-3, what: $"d/dinput (λ = {lambda})");
    }

    [Fact]
    public void TotalVariationTerm_OnLenet5Input_IsLambdaTimesSquaredDifferences()
    {
        // same data, λ = 0.05 and λ = 0: the differences of loss and input gradient are exactly λ·TV(x) and λ·∇TV(x),
        // ∇TV(x)_ij = 2(Δ_h[i−1,j] − Δ_h[i,j]) + 2(Δ_w[i,j−1] − Δ_w[i,j]), computed here in double on all 784 pixels.
        const double lambda = 0.05;
        const int H = 28, W = 28;
        long[] dims = [1, 1, H, W];
        var model = OnnxModel.Load(RepoPaths.Model("lenet5"));
        var (images, _) = BundledModelGradientTests.Samples([5, 42]);
        var x = images.AsSpan(0, H * W).ToArray();
        var rnd = new Random(4);
        var target = new float[16 * 10 * 10].Select(_ => (float)rnd.NextDouble()).ToArray();
        var options = new RuntimeOptions(IntraOpThreads: 1);
        using var with = GradientSessions.Create(model, new GradientRequest(new SquaredErrorLoss(Features), ["input"], TotalVariationWeight: lambda), options);
        using var without = GradientSessions.Create(model, new GradientRequest(new SquaredErrorLoss(Features), ["input"]), options);
        var r1 = with.Run(x, dims, target: target);
        var (l1, g1) = (r1.Loss, r1.Gradient("input").ToArray());
        var r0 = without.Run(x, dims, target: target);
        var (l0, g0) = (r0.Loss, r0.Gradient("input").ToArray());

        var tv = TotalVariation(x, H, W);
        Assert.True(tv > 1, $"TV = {tv}: the image is too flat for this test");
        Numerics.AssertClose(expected: lambda * tv, actual: (double)l1 - l0, atol: 1e-5, rtol: 1e-5, what: "λ·TV");
        double Dh(int i, int j) => i < 0 || i + 1 >= H ? 0 : (double)x[(i + 1) * W + j] - x[i * W + j];
        double Dw(int i, int j) => j < 0 || j + 1 >= W ? 0 : (double)x[i * W + j + 1] - x[i * W + j];
        var expected = new double[H * W];
        var actual = new double[H * W];
        for (var i = 0; i < H; i++)
            for (var j = 0; j < W; j++)
            {
                expected[i * W + j] = lambda * (2 * (Dh(i - 1, j) - Dh(i, j)) + 2 * (Dw(i, j - 1) - Dw(i, j)));
                actual[i * W + j] = (double)g1[i * W + j] - g0[i * W + j];
            }
        Assert.True(expected.Count(v => Math.Abs(v) > 1e-2) > 50, "too few pixels with a sizeable TV gradient");
        Numerics.AssertClose(expected: expected, actual: actual, atol: 1e-6, rtol: 1e-5, what: "λ·∇TV");
    }

    private static float[] Feature(InferenceSession s, float[] x, long[] dims) =>
        Run(s, [("input", x, dims)])[Features].Data;
}
