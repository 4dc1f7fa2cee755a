using OnnxAudit.Audits.RConv;
using OnnxAudit.Data;
using OnnxAudit.Onnx;
using OnnxAudit.Progress;
using OnnxAudit.Runtime;
using Xunit.Abstractions;

namespace OnnxAudit.Tests.Audits.RConv;

/// <summary>
/// The reconstruction walk through inference BatchNormalization and constant per-channel scales (affine maps folded into
/// the gradient and the value) and along a residual block (the Add passes ∂ℓ/∂y to both inputs; the block input's value
/// comes from the block's first conv solve). Before issue 17 item 4 the walk stopped at the first BatchNormalization
/// ("operator BatchNormalization … is not supported by the R-CONV walk") and no image was reconstructed.
/// </summary>
public class RConvBranchTests(ITestOutputHelper output)
{
    /// <summary>Smooth random images in [0,1] (sums of a few low-frequency cosines) with labels.</summary>
    private static Dataset Images(int n, int c, int h, int w, int seed)
    {
        var rng = new Random(seed);
        var px = new float[n * c * h * w];
        for (var i = 0; i < n * c; i++)
        {
            var (a, b, p) = (rng.NextDouble() * 3, rng.NextDouble() * 3, rng.NextDouble() * 6);
            for (var y = 0; y < h; y++)
                for (var x = 0; x < w; x++)
                    px[(i * h * w) + (y * w) + x] = (float)(0.5 + (0.4 * Math.Cos((a * x / w) + (b * y / h) + p)));
        }
        return Dataset.FromPixels("smooth(test)", px, n, c, h, w, Enumerable.Range(0, n).Select(i => (long)(i % 10)).ToArray());
    }

    private RConvAuditResult Audit(OnnxModel model, int c, int h)
    {
        var r = RConvAuditor.Run(model, ModelAnalysis.Analyze(model), Images(2, c, h, h, 3), RConvOptions.Default with { Images = 2 }, NullProgress.Instance);
        foreach (var i in r.Images)
            output.WriteLine($"image {i.DataIndex}: PSNR {i.Psnr:F1} dB {i.Detail.FailureReason} " +
                string.Join("; ", i.Detail.Steps.Select(s => $"{s.Layer} {s.Method} res {s.RelativeResidual:E1}")));
        return r;
    }

    [Fact]
    public void ConvBnReluConv_WalkReachesTheInput_HighPsnr()
    {
        // 3×12×12 (SSIM needs ≥ 11 px): conv1 3→24 k3 p1 (216 rows ≥ 144 per channel), BN, ReLU, conv2 24→24 k3 p1, BN,
        // ·k per channel, ReLU, Gemm
        var model = new ChainModelBuilder(3, 12, 12, seed: 4)
            .Conv(3, 24, 3, 1, 1).BatchNorm(24).Act("Relu")
            .Conv(24, 24, 3, 1, 1).BatchNorm(24).MulChannels(24).Act("Relu")
            .Flatten().Gemm(3456, 10).Build("conv-bn-relu-conv(test)");
        var net = RConvNetwork.FromModel(model);
        Assert.Null(net.StopReason);
        Assert.Equal(3, net.Stages.OfType<AffineStage>().Count());
        // the activation after each conv is found through its BatchNormalization (and the scale)
        Assert.All(net.Conditions(), c => Assert.Equal("Relu", c.FollowingOpType));
        var r = Audit(model, 3, 12);
        Assert.Null(r.ChainBreakLayer);
        Assert.Equal(2, r.Images.Count);
        foreach (var i in r.Images)
        {
            Assert.True(i.Detail.Succeeded, i.Detail.FailureReason);
            Assert.Equal(["Gemm", "Conv", "Conv"], i.Detail.Steps.Select(s => s.OpType));
            Assert.True(i.Psnr >= 60, $"image {i.DataIndex}: PSNR {i.Psnr:F1} dB");
        }
    }

    [Fact]
    public void ResidualBlock_WalkSolvesBothBranches_AndReachesTheInput()
    {
        // stem conv 3→32 + BN + ReLU = T; block: conv 32→32, BN, ReLU, conv 32→32, BN, + T, ReLU; Gemm. 12×12 input:
        // every conv has 32·9 = 288 rows ≥ 144 unknowns per channel (a ReLU channel that is off everywhere removes 9).
        var b = new ChainModelBuilder(3, 12, 12, seed: 5).Conv(3, 32, 3, 1, 1).BatchNorm(32).Act("Relu");
        var t = b.Current;
        var model = b.Conv(32, 32, 3, 1, 1).BatchNorm(32).Act("Relu").Conv(32, 32, 3, 1, 1).BatchNorm(32).AddResidual(t).Act("Relu")
            .Flatten().Gemm(4608, 10).Build("residual(test)");
        var net = RConvNetwork.FromModel(model);
        Assert.Null(net.StopReason);
        Assert.Single(net.Stages.OfType<AddStage>());
        // the block's second conv feeds the residual sum: its output is mixed, so no forward constraints for it
        var conds = net.Conditions();
        Assert.Equal("Add", conds[2].FollowingOpType);
        Assert.False(conds[2].ActivationInvertible);
        var r = Audit(model, 3, 12);
        Assert.Null(r.ChainBreakLayer);
        foreach (var i in r.Images)
        {
            Assert.True(i.Detail.Succeeded, i.Detail.FailureReason);
            Assert.Equal(4, i.Detail.Steps.Count); // Gemm + three conv solves
            Assert.True(i.Psnr >= 60, $"image {i.DataIndex}: PSNR {i.Psnr:F1} dB");
        }
    }

    [Fact]
    public void ResidualBlock_UnsolvableBranchConv_StopsWithItsReason()
    {
        // as above, but the block is conv 24→4, ReLU, then a 1×1 conv 4→24 (24 rows < 144 per channel) into the sum: its
        // output is mixed by the Add, so it cannot be solved, and the ReLU below it has an unknown output
        var b = new ChainModelBuilder(3, 12, 12, seed: 6).Conv(3, 24, 3, 1, 1).BatchNorm(24).Act("Relu");
        var t = b.Current;
        var model = b.Conv(24, 4, 3, 1, 1).Act("Relu").Conv(4, 24, 1, 1, 0).AddResidual(t).Act("Relu")
            .Flatten().Gemm(3456, 10).Build("residual-short(test)");
        var r = Audit(model, 3, 12);
        Assert.NotNull(r.ChainBreakLayer);
        Assert.Contains("not solvable", r.ChainBreakReason, StringComparison.Ordinal);
        Assert.All(r.Images, i => Assert.False(i.Detail.Succeeded));
    }

    [Fact]
    public void TooLargeLayer_SkipsTheReconstruction_ButTheOtherLayersGetRankChecks()
    {
        // 1×72×72: conv1 (5,184 unknowns per channel > the 4,096 budget) is too large; conv2 (36×36) fits
        var model = new ChainModelBuilder(1, 72, 72, seed: 7).Conv(1, 4, 3, 2, 1).Act("Relu").Conv(4, 16, 3, 1, 1).Act("Relu")
            .Flatten().Gemm(16 * 36 * 36, 10).Build("too-large(test)");
        var analysis = ModelAnalysis.Analyze(model);
        var r = RConvAuditor.Run(model, analysis, Images(2, 1, 72, 72, 8), RConvOptions.Default with { Images = 2 }, NullProgress.Instance);
        Assert.Equal(2, r.Conditions.Count);
        Assert.Contains("too large to solve here (5,184 unknowns", r.ChainBreakReason, StringComparison.Ordinal);
        Assert.Empty(r.Images);
        Assert.Equal(2, r.RankChecks.Count);
        Assert.All(r.RankChecks, k => Assert.Equal((r.Conditions[1].Geometry.Name, 144, 1296), (k.Layer, k.Rows, k.Unknowns)));
        Assert.All(r.RankChecks, k => Assert.True(k.Rank <= 144));
    }
}
