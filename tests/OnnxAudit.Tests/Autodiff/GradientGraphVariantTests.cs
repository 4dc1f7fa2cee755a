using OnnxAudit.Autodiff;
using OnnxAudit.Tests.TestUtil;
using static OnnxAudit.Tests.Autodiff.OpHarness;

namespace OnnxAudit.Tests.Autodiff;

/// <summary>
/// The faster backward graphs of issue 16 (flipped-weight Conv input gradient, swapped and im2col weight gradients, Indices-free
/// MaxPool, Mul-mask ReLU) against the earlier graphs (<see cref="GradientGraphVariants.Legacy"/>) on the same values.
/// </summary>
[Collection(GradientGraphVariantCollection.Name)]
public sealed class GradientGraphVariantTests
{
    public static TheoryData<string> Cases() =>
    [
        "Conv_16ch_s1_p1_flipped_input_grad", "Conv_16ch_dil2_asym_flipped_input_grad", "Conv_16ch_s2_p1_im2col_weight_grad", "Conv_s1_fewer_out_channels_swapped_weight_grad",
        "ConvTranspose_s1_fewer_in_channels_swapped_weight_grad", "MaxPool_k2_s2", "MaxPool_k3_s3_blocks", "Relu",
    ];

    [Theory]
    [MemberData(nameof(Cases))]
    public void Backward_FastGraph_MatchesLegacyGraph(string name)
    {
        var c = OpCases.All().Single(o => o.Name == name);
        var values = Values(c, seed: 5);
        var fast = Gradients(c, values, legacy: false);
        var legacy = Gradients(c, values, legacy: true);
        foreach (var (input, _) in c.FloatInputs)
            Numerics.AssertClose(expected: legacy[input], actual: fast[input], atol: 1e-5, rtol: 1e-5, what: $"{name} d{input}");
    }

    [Fact]
    public void MaxPool_IndicesFree_ManyTies_GradientGoesToFirstMaximumLikeIndicesPath()
    {
        // why: values from {0, 1, 2} make ties in most 2×2 and 3×3 windows (as a constant image background does after a
        // conv + ReLU); PyTorch and the Indices path give each window's gradient to its first maximum in scan order.
        foreach (var k in new long[] { 2, 3 })
        {
            var c = new OpCase($"mp_ties_k{k}", "MaxPool", ["x"], [("x", [2, 3, 6, 6])], [],
                [Ints("kernel_shape", k, k), Ints("strides", k, k)]);
            var rng = new Random(7);
            var values = new Dictionary<string, float[]> { ["x"] = Enumerable.Range(0, 2 * 3 * 36).Select(_ => (float)rng.Next(3)).ToArray() };
            // a non-zero target makes dy differ per window, so a wrongly placed gradient shows
            var fast = Gradients(c, values, legacy: false);
            var legacy = Gradients(c, values, legacy: true);
            Numerics.AssertClose(expected: legacy["x"], actual: fast["x"], atol: 0, rtol: 0, what: $"k {k} dx");
            Assert.Equal(2 * 3 * 36 / (k * k), fast["x"].Count(v => v != 0));
        }
    }

    private static Dictionary<string, float[]> Gradients(OpCase c, Dictionary<string, float[]> values, bool legacy)
    {
        var model = Model(c);
        using var fwd = Session(model);
        var y = Run(fwd, c.FloatInputs.Select(f => (f.Name, values[f.Name], f.Dims))).First().Value;
        var target = y.Data.Select((v, i) => v - 1f - 0.01f * i).ToArray();
        OnnxAudit.Onnx.OnnxModel g;
        GradientGraphVariants.Legacy = legacy;
        try
        {
            g = GradientGraphBuilder.Build(model, MseRequest(c));
        }
        finally
        {
            GradientGraphVariants.Legacy = false;
        }
        using var gs = Session(g);
        var outs = Run(gs, c.FloatInputs.Select(f => (f.Name, values[f.Name], f.Dims)).Append((GradientNames.Target, target, y.Dims)));
        return c.FloatInputs.ToDictionary(f => f.Name, f => outs[GradientNames.Gradient(f.Name)].Data);
    }
}

/// <summary>Tests that flip <see cref="GradientGraphVariants.Legacy"/> run alone (it is read by every graph build).</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class GradientGraphVariantCollection
{
    public const string Name = "gradient graph variants";
}
