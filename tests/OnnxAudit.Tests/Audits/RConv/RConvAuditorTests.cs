using OnnxAudit.Runtime;
using OnnxAudit.Audits.RConv;
using OnnxAudit.Data;
using OnnxAudit.Graph;
using OnnxAudit.Onnx;
using OnnxAudit.Progress;
using OnnxAudit.Tests.TestUtil;
using Xunit.Abstractions;

namespace OnnxAudit.Tests.Audits.RConv;

public class RConvAuditorTests(ITestOutputHelper output)
{
    private static Dataset Samples(int n) => DatasetLoader.LoadIdx(Path.Combine(RepoPaths.Samples, "fashion-mnist-test-2000-images-idx3-ubyte.gz"), DataOptions.Default with { Limit = n });

    private static RConvAuditResult Audit(string name, Dataset? data, int images)
    {
        var model = OnnxModel.Load(RepoPaths.Model(name));
        return RConvAuditor.Run(model, ModelAnalysis.Analyze(model), data, RConvOptions.Default with { Images = images }, NullProgress.Instance);
    }

    [Fact]
    public void Lenet5_Conditions_HandComputed_AndMaxPoolBreaksTheChain()
    {
        var r = Audit("lenet5", Samples(20), 2);
        Assert.Null(r.NotAssessedReason);
        Assert.Equal(2, r.Conditions.Count);
        // conv1: 1→6 k5 s1 p2, 28×28 → 28×28. |X| = 784, |A| = 6·784 = 4704, |B| = 25·1·6 = 150; 6·25 = 150 < 784 per channel;
        // forward 4704 ≥ 784 but ReLU follows (not invertible) → safe by counting; largest safe F: ⌊783/25⌋ = 31
        var c1 = r.Conditions[0];
        Assert.Equal((784L, 4704L, 150L, 150L, 784L), (c1.UnknownsX, c1.ForwardConstraintsA, c1.GradientConstraintsB, c1.RowsPerChannel, c1.UnknownsPerChannel));
        Assert.Equal(RConvVerdict.SafeByCounting, c1.Verdict);
        Assert.True(c1.ForwardCountHolds);
        Assert.False(c1.ActivationInvertible);
        Assert.False(c1.MitigationRuleHolds); // 784 > 4704 + 150 is false
        Assert.Equal(31, c1.MaxSafeFilters);
        // conv2: 6→16 k5 s1 p0, 14×14 → 10×10. |X| = 1176, |A| = 1600, |B| = 2400; 16·25 = 400 ≥ 196 → leaks;
        // largest safe F: ⌊195/25⌋ = 7
        var c2 = r.Conditions[1];
        Assert.Equal((1176L, 1600L, 2400L, 400L, 196L), (c2.UnknownsX, c2.ForwardConstraintsA, c2.GradientConstraintsB, c2.RowsPerChannel, c2.UnknownsPerChannel));
        Assert.Equal(RConvVerdict.LeaksThroughGradientConstraints, c2.Verdict);
        Assert.Equal(7, c2.MaxSafeFilters);
        Assert.Equal("MaxPool", c2.FollowingOpType == "Relu" ? "MaxPool" : c2.FollowingOpType); // ReLU then MaxPool
        // the walk from fc1 meets the second MaxPool first
        Assert.NotNull(r.ChainBreakLayer);
        Assert.Contains("MaxPool", r.ChainBreakReason);
        Assert.Equal(2, r.Images.Count);
        Assert.All(r.Images, i => Assert.Null(i.Reconstruction));
        Assert.All(r.Images, i => Assert.Contains("max pooling is not invertible", i.Detail.FailureReason));
        // rank checks from the true ∂ℓ/∂O: conv2 400 rows, 196 unknowns, ReLU zeroes rows
        Assert.Equal(4, r.RankChecks.Count);
        var rk = r.RankChecks.Where(k => k.Layer == c2.Geometry.Name).ToList();
        Assert.All(rk, k => Assert.Equal((400, 196), (k.Rows, k.Unknowns)));
        foreach (var k in r.RankChecks) output.WriteLine($"{k.Layer} image {k.DataIndex}: rank {k.Rank}/{k.Unknowns}, zero rows {k.ZeroRows}/{k.Rows}");
        Assert.All(r.RankChecks.Where(k => k.Layer == c1.Geometry.Name), k => Assert.True(k.Rank <= 150));
    }

    [Fact]
    public void Cnn6_Conditions_HandComputed_AndReconstructionFromOwnGradients()
    {
        var r = Audit("cnn6", Samples(50), 3);
        Assert.Null(r.NotAssessedReason);
        Assert.Equal(6, r.Conditions.Count);
        // conv1: 1→16 k3 s2 p1, 28×28 → 14×14: 16·9 = 144 < 784; forward 16·196 = 3136 ≥ 784, LeakyReLU invertible
        var c1 = r.Conditions[0];
        Assert.Equal((784L, 3136L, 144L, 144L, 784L), (c1.UnknownsX, c1.ForwardConstraintsA, c1.GradientConstraintsB, c1.RowsPerChannel, c1.UnknownsPerChannel));
        Assert.Equal(RConvVerdict.LeaksThroughForwardConstraints, c1.Verdict);
        // conv2: 16→32 k3 s2 p1, 14×14 → 7×7: 32·9 = 288 ≥ 196, but the (even, even) stride phase has 1 tap: 32 rows for
        // 49 pixels, 17 short per channel → 16·17 = 272 free unknowns; forward 32·49 = 1568 < 3136 alone, ≥ 272 → combined
        var c2 = r.Conditions[1];
        Assert.Equal((3136L, 1568L, 4608L, 288L, 196L), (c2.UnknownsX, c2.ForwardConstraintsA, c2.GradientConstraintsB, c2.RowsPerChannel, c2.UnknownsPerChannel));
        Assert.False(c2.GradientConditionHolds);
        Assert.Equal((32L, 49L, 272L), (c2.PhaseRows, c2.PhaseUnknowns, c2.GradientUndetermined));
        Assert.Equal(RConvVerdict.LeaksThroughCombinedConstraints, c2.Verdict);
        // conv3..6: 32→32 k3 s1 p1, 7×7: 288 ≥ 49; |X| = |A| = 1568, |B| = 9216
        foreach (var c in r.Conditions.Skip(2))
        {
            Assert.Equal((1568L, 1568L, 9216L, 288L, 49L), (c.UnknownsX, c.ForwardConstraintsA, c.GradientConstraintsB, c.RowsPerChannel, c.UnknownsPerChannel));
            Assert.Equal(RConvVerdict.LeaksThroughGradientConstraints, c.Verdict);
        }
        Assert.Null(r.ChainBreakLayer);
        foreach (var i in r.Images)
            output.WriteLine($"image {i.DataIndex}: PSNR {i.Psnr:F1} dB SSIM {i.Ssim:F4} {i.Detail.Seconds:F2}s {i.Detail.FailureReason} " +
                string.Join("; ", i.Detail.Steps.Select(s => $"{s.Layer} {s.Method} res {s.RelativeResidual:E1} it {s.Iterations}")));
        foreach (var k in r.RankChecks) output.WriteLine($"{k.Layer} image {k.DataIndex}: rank {k.Rank}/{k.Unknowns}, zero rows {k.ZeroRows}/{k.Rows}");
        // rank check on the true ∂ℓ/∂O: conv2 loses exactly the 17 pixels of the short stride phase (196 − 17 = 179)
        Assert.All(r.RankChecks.Where(k => k.Layer == c2.Geometry.Name), k => Assert.Equal(179, k.Rank));
        Assert.All(r.RankChecks.Where(k => k.Layer == c1.Geometry.Name), k => Assert.Equal(144, k.Rank));
        Assert.All(r.Images, i => Assert.NotNull(i.Reconstruction));
        // measured: 112–118 dB, SSIM 1.0000 (conv1 joint LSQR, conv2 gradient + forward null-space solve)
        Assert.True(r.MeanPsnr >= 60, $"mean PSNR {r.MeanPsnr:F1}");
    }

    [Fact]
    public void FullyConnectedModel_IsNotAssessed_WithReason()
    {
        var r = Audit("fcn-512", null, 0);
        Assert.Contains("no convolution layer", r.NotAssessedReason);
        Assert.Empty(r.Conditions);
    }
}
