using OnnxAudit.Autodiff;
using OnnxAudit.Tests.TestUtil;
using static OnnxAudit.Onnx.NodeAttributes;
using static OnnxAudit.Tests.Autodiff.OpHarness;

namespace OnnxAudit.Tests.Autodiff;

/// <summary>
/// Bias gradients of Conv and BatchNormalization on large maps are sums over N·H·W terms, accumulated in float64
/// (GraphEmitter.LongReduceSum; issue 17: vgg11_bn@224's first conv sums 401,408 terms). Loss = mean(y²), dL/dy = 2y/numel.
/// </summary>
[Collection(GradientGraphVariantCollection.Name)]
public sealed class LongReductionTests
{
    [Fact]
    public void ConvBias_LongSumWithCancellation_IsExactInFloat64AndNotInFloat32()
    {
        // x = [2^30, 3, …, 3, −2^30] on a 64×64 map, w = 1, b = 0: y = x, dy = y/2048 (exact), dB = 3·4094/2048 exactly.
        // A float32 sum cannot hold 2^19 + 3/2048 and drops terms; float64 holds every partial sum exactly.
        const int hw = 64 * 64;
        var x = Enumerable.Repeat(3f, hw).ToArray();
        x[0] = 1 << 30;
        x[^1] = -(1 << 30);
        var c = new OpCase("conv_bias_long", "Conv", ["x", "w", "b"], [("x", [1, 1, 64, 64]), ("w", [1, 1, 1, 1]), ("b", [1])], [], []);
        var values = new Dictionary<string, float[]> { ["x"] = x, ["w"] = [1], ["b"] = [0] };
        const float exact = 3f * (hw - 2) / 2048;

        var accurate = Gradients(c, values, minTerms: 1024)["b"];
        Assert.Equal(exact, Assert.Single(accurate));
        // the same graph with the float32 sum (threshold above the map): shows the test can fail without float64
        var plain = Gradients(c, values, minTerms: long.MaxValue)["b"];
        Assert.NotEqual(exact, Assert.Single(plain));
    }

    [Fact]
    public void BatchNormalization_LongSums_MatchFloat64OfTheForwardOutput()
    {
        // 2×3×32×32 (1,024 terms per channel and sample: the float64 path): dβ = Σ dy, dγ = Σ dy·(x − μ)·r with
        // dy = 2y/numel from the forward output y, summed here in double.
        var bn = new OpCase("bn_long", "BatchNormalization", ["x", "gamma", "beta", "mean", "var"],
            [("x", [2, 3, 32, 32]), ("gamma", [3]), ("beta", [3]), ("mean", [3]), ("var", [3])], [], [MakeFloat("epsilon", 1e-5f)]);
        var values = Values(bn, seed: 3);
        values["var"] = [0.5f, 1.25f, 2f];
        var model = Model(bn);
        using var fwd = Session(model);
        var y = Run(fwd, bn.FloatInputs.Select(f => (f.Name, values[f.Name], f.Dims))).First().Value.Data;
        var g = Gradients(bn, values, minTerms: 1024);
        const int plane = 32 * 32;
        for (var ch = 0; ch < 3; ch++)
        {
            double sumDy = 0, sumDyC = 0;
            var r = 1 / Math.Sqrt(values["var"][ch] + 1e-5f);
            for (var n = 0; n < 2; n++)
            {
                for (var p = 0; p < plane; p++)
                {
                    var i = ((n * 3) + ch) * plane + p;
                    var dy = 2.0 * y[i] / y.Length;
                    sumDy += dy;
                    sumDyC += dy * (values["x"][i] - values["mean"][ch]) * r;
                }
            }
            Numerics.AssertClose(expected: [(float)sumDy], actual: [g["beta"][ch]], atol: 1e-7, rtol: 1e-5, what: $"dβ[{ch}]");
            Numerics.AssertClose(expected: [(float)sumDyC], actual: [g["gamma"][ch]], atol: 1e-7, rtol: 1e-5, what: $"dγ[{ch}]");
        }
    }

    private static Dictionary<string, float[]> Gradients(OpCase c, Dictionary<string, float[]> values, long minTerms)
    {
        var model = Model(c);
        using var fwd = Session(model);
        var y = Run(fwd, c.FloatInputs.Select(f => (f.Name, values[f.Name], f.Dims))).First().Value;
        OnnxAudit.Onnx.OnnxModel g;
        var before = GraphEmitter.LongSumMinTerms;
        GraphEmitter.LongSumMinTerms = minTerms;
        try
        {
            g = GradientGraphBuilder.Build(model, MseRequest(c));
        }
        finally
        {
            GraphEmitter.LongSumMinTerms = before;
        }
        using var gs = Session(g);
        var outs = Run(gs, c.FloatInputs.Select(f => (f.Name, values[f.Name], f.Dims)).Append((GradientNames.Target, new float[y.Data.Length], y.Dims)));
        return c.FloatInputs.ToDictionary(f => f.Name, f => outs[GradientNames.Gradient(f.Name)].Data);
    }
}
