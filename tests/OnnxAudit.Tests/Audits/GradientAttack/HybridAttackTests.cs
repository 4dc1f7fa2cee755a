using OnnxAudit.Reporting.Sections;
using OnnxAudit.Runtime;
using OnnxAudit.Audits;
using OnnxAudit.Audits.Exclusivity;
using OnnxAudit.Audits.GradientAttack;
using OnnxAudit.Data;
using OnnxAudit.Metrics;
using OnnxAudit.Onnx;
using OnnxAudit.Progress;
using OnnxAudit.Reporting.Model;
using OnnxAudit.Tests.TestUtil;

using OnnxAudit.Tests.Audits.Exclusivity;

namespace OnnxAudit.Tests.Audits.GradientAttack;

/// <summary>The hybrid attack on a CNN (Pan et al. §5): stage 1 analytic on the head, stage 2 feature matching through Φ.</summary>
public class HybridAttackTests
{
    private static readonly Lazy<Dataset> Samples = new(() => DatasetLoader.Load(Path.Combine(RepoPaths.Samples, "fashion-mnist-test-2000-images-idx3-ubyte.gz")));

    // why: lenet5 has no insecure batch at M = 8 (or M = 4 in the 500-batch sweep) on the bundled data; M = 2 has 93%.
    // Measured with FeatureMatchingOptions.Quick (300 steps, lr 0.05, λ_TV 1e-4), seed 0: batch [1044, 28], PSNR 19.4 dB, SSIM 0.72.
    [Fact]
    public void Lenet5_InsecureBatchOfTwo_ExactBatchSize_AllLabels_StageTwoPsnrAbove17()
    {
        var model = OnnxModel.Load(RepoPaths.Model("lenet5"));
        var ds = Samples.Value;
        var r = GradientAttackSimulation.Run(model, ds.Pixels.ToArray(), [ds.N, ds.C, ds.H, ds.W], [.. ds.Labels!.Select(v => (int)v)],
            ExclusivityReferenceTests.Layers(model),
            AttackSimulationOptions.Default with { BatchSize = 2, InsecureBatches = 1, RandomBatches = 0, FeatureMatching = FeatureMatchingOptions.Quick },
            NullProgress.Instance);
        Assert.False(r.HeadIsWholeModel);
        Assert.StartsWith("hybrid attack: stage 1 analytic, stage 2 feature matching (300 iterations", r.Stage, StringComparison.Ordinal);
        Assert.Equal(FeatureMatchingOptions.Quick, r.FeatureMatching);
        Assert.Equal(1, r.Insecure.Batches);
        Assert.Equal(1, r.Insecure.BatchSizeExact);
        Assert.Equal(1.0, r.Insecure.LabelAccuracy);
        Assert.Equal(1.0, r.Insecure.RecoveredShare);
        var b = r.Batches[0];
        Assert.Equal(2, b.InferredBatchSize);
        foreach (var s in b.Samples)
        {
            Assert.True(s.Mse < 1e-10, $"stage 1 head-input MSE {s.Mse}");
            Assert.NotNull(s.ImageReconstruction);
            Assert.All(s.ImageReconstruction!, v => Assert.InRange(v, 0f, 1f));
            // The reported PSNR is the stage-2 image against the original.
            Assert.Equal(ImageMetrics.PsnrFromMse(ImageMetrics.Mse(s.Original!, s.ImageReconstruction)), s.Psnr, 9);
        }
        Assert.True(r.Insecure.MeanPsnr >= 17, $"mean PSNR {r.Insecure.MeanPsnr}");
        Assert.True(r.Insecure.MeanSsim >= 0.6, $"mean SSIM {r.Insecure.MeanSsim}");

        // The report shows the stage and the images.
        var w = OnnxAudit.Metrics.Statistics.WilsonInterval(1, 1);
        var p = new ProportionEstimate(1, 1, w.Estimate, w.Lower, w.Upper);
        var z = new ProportionEstimate(0, 1, 0, 0, 0);
        var stats = new ExclusivityResult("lenet5", "sha", ds.N, ExclusivityReferenceTests.Layers(model), 0, new BatchStatistics(2, p, z, z, []), [], 2, 0.05, null);
        var section = ExclusivityReport.Build(stats, r, null).Sections.Single();
        Assert.Contains(section.Blocks.OfType<ParagraphBlock>(), q => q.PlainText.Contains(r.Stage, StringComparison.Ordinal));
        Assert.Single(section.Blocks.OfType<ImageGridBlock>());
    }

    [Fact]
    public void Lenet5_StageTwoOff_LeavesImageMetricsEmpty()
    {
        var model = OnnxModel.Load(RepoPaths.Model("lenet5"));
        var ds = Samples.Value;
        var r = GradientAttackSimulation.Run(model, ds.Pixels.ToArray(), [ds.N, ds.C, ds.H, ds.W], [.. ds.Labels!.Select(v => (int)v)],
            ExclusivityReferenceTests.Layers(model),
            AttackSimulationOptions.Default with { BatchSize = 2, InsecureBatches = 1, RandomBatches = 0, FeatureMatching = FeatureMatchingOptions.Off },
            NullProgress.Instance);
        Assert.StartsWith("stage 1 only", r.Stage, StringComparison.Ordinal);
        Assert.Null(r.FeatureMatching);
        Assert.All(r.Batches[0].Samples, s => Assert.True(double.IsNaN(s.Psnr) && s.ImageReconstruction is null));
        Assert.Equal(1.0, r.Insecure.LabelAccuracy);
    }

    [Fact]
    public void FeatureMatching_BatchedRun_EqualsOneRunPerImage()
    {
        // The TV weight λ/B in the graph and the gradient scale B make each image follow its own objective, so the batch
        // size must not change the result (a wrong λ scaling changes the TV/feature balance and the images).
        var model = OnnxModel.Load(RepoPaths.Model("lenet5"));
        var head = FcnHead.Extract(model);
        var ds = Samples.Value;
        var x = ds.Pixels.Slice(0, 2 * 784).ToArray();
        float[] feats = [];
        using (var fwd = new ModelSession(model, null, [head.InputName])) fwd.Run(x, [2, 1, 28, 28], 2, (_, _, o) => feats = o[0]);
        var opts = new FeatureMatchingOptions(Iterations: 40, LearningRate: 0.05, TvWeight: 1e-2);
        using var fm = new FeatureMatching(model, head.InputName, [1, 28, 28], opts, null);
        var (both, lossBoth) = fm.Run([feats[..400], feats[400..]]);
        var (first, loss0) = fm.Run([feats[..400]]);
        var (second, loss1) = fm.Run([feats[400..]]);
        Numerics.AssertClose(expected: first[0], actual: both[0], atol: 1e-4, rtol: 0);
        Numerics.AssertClose(expected: second[0], actual: both[1], atol: 1e-4, rtol: 0);
        Numerics.AssertClose(expected: (loss0 + loss1) / 2, actual: lossBoth, atol: 0, rtol: 1e-4);
        // and the objective went down from the constant start
        using var one = new FeatureMatching(model, head.InputName, [1, 28, 28], opts with { Iterations = 1 }, null);
        var (_, lossStart) = one.Run([feats[..400]]);
        Assert.True(loss0 < 0.5 * lossStart, $"{loss0} vs {lossStart}");
    }

    [Fact]
    public void Adam_FirstTwoSteps_MoveEachParameterByLearningRateAgainstTheGradientSign()
    {
        // With a constant gradient g, the bias-corrected moments are m̂ = g, v̂ = g², so each step is −lr·g/(|g| + ε).
        // atol 5e-6: the optimizer keeps its state in float32 (as PyTorch does), a few ulps of 1 per step.
        var adam = new Adam(3, 0.1);
        float[] p = [1, -2, 0.5f];
        float[] g = [0.5f, -3, 2e-3f];
        adam.Step(p, g);
        Numerics.AssertClose(expected: new[] { 0.9f, -1.9f, 0.4f }, actual: p, atol: 5e-6, rtol: 0);
        adam.Step(p, g);
        Numerics.AssertClose(expected: new[] { 0.8f, -1.8f, 0.3f }, actual: p, atol: 5e-6, rtol: 0);
        Assert.Equal(2, adam.Steps);
    }
}
