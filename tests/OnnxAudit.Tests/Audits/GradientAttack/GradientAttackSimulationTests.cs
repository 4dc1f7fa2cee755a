using OnnxAudit.Audits.Exclusivity;
using OnnxAudit.Audits.GradientAttack;
using OnnxAudit.Data;
using OnnxAudit.Progress;

using OnnxAudit.Tests.Audits.Exclusivity;

namespace OnnxAudit.Tests.Audits.GradientAttack;

public class GradientAttackSimulationTests
{
    private const string Images = "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz";

    private static (float[] x, long[] dims, int[] y) FashionMnist(int n)
    {
        var ds = DatasetLoader.LoadIdx(Images, DataOptions.Default with { Limit = n });
        return (ds.Pixels.ToArray(), [n, 1, 28, 28], [.. ds.Labels!.Select(v => (int)v)]);
    }

    [Fact]
    public void ImageFcn_InsecureBatches_ExactBatchSizeLabelsAndHighPsnr_WithGradientSession()
    {
        int[] widths = [784, 256, 10];
        var model = TinyFcn.Random(widths, seed: 8, flattenImage: true, imageShape: [1, 28, 28]);
        var (x, dims, y) = FashionMnist(300);
        var r = GradientAttackSimulation.Run(model, x, dims, y, TinyFcn.Layers(widths),
            AttackSimulationOptions.Default with { BatchSize = 4, InsecureBatches = 2, RandomBatches = 1 }, NullProgress.Instance);
        Assert.True(r.HeadIsWholeModel);
        Assert.Equal(2, r.Insecure.Batches);
        Assert.Equal(2, r.Insecure.BatchSizeExact);
        Assert.Equal(1.0, r.Insecure.LabelAccuracy);
        Assert.Equal(1.0, r.Insecure.RecoveredShare);
        Assert.True(r.Insecure.MeanPsnr >= 60, $"mean PSNR {r.Insecure.MeanPsnr}");
        Assert.True(r.Insecure.MeanSsim > 0.99);
        Assert.Equal(3, r.Batches.Count);
        var random = r.Batches[^1];
        Assert.Equal(random.State == ExclusivityState.Insecure, random.Explanation is null);
    }

    [Fact]
    public void Evaluate_UnmatchedSamples_CountAsWrongAndExplainFailure()
    {
        var truth = new float[] { 0, 0, 1, 1 }; // two samples of width 2
        var attack = new GradientAttackResult(1, [new RecoveredSample(3, true, [1f], [0, 1], [1f, 1f], null)], LossScaleMethod.TwoThirdsRule, "bias division", []);
        var o = GradientAttackSimulation.Evaluate([10, 11], [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 3], truth, 2, null, attack,
            ExclusivityState.Undetermined, [[1, 0]]);
        Assert.Null(o.Samples[0].RecoveredLabel);
        Assert.Equal(3, o.Samples[1].RecoveredLabel);
        Assert.Equal(0, o.Samples[1].Mse);
        Assert.Equal(0.5, o.LabelAccuracy);
        Assert.Equal(1, o.Recovered);
        Assert.Contains("sample 10 has N_1 = 1 < 2", o.Explanation!, StringComparison.Ordinal);
    }

    [Fact]
    public void Hardening_RemovesFirstRelu_BatchesAboveD1AreSecure_AndAttackFails()
    {
        int[] widths = [784, 24, 64, 10];
        var model = TinyFcn.Random(widths, seed: 2, flattenImage: true, imageShape: [1, 28, 28]);
        var layers = TinyFcn.Layers(widths);
        var hardened = ExclusivityHardening.RemoveFirstHeadRelu(model);
        Assert.Equal(1, hardened.Graph.Node.Count(n => n.OpType == "Relu"));
        Assert.Equal(2, model.Graph.Node.Count(n => n.OpType == "Relu")); // original untouched
        var (x, dims, y) = FashionMnist(200);
        var hl = ExclusivityHardening.HardenedLayers(model, layers);
        Assert.True(hl[0].IsLinear);
        var stats = ExclusivityAuditor.Run(hardened, x, dims, y, hl, ExclusivityOptions.Default with { BatchSize = 25, Batches = 50 }, NullProgress.Instance);
        Assert.Equal(50, stats.Main.Secure.Count); // M = 25 > d_1 = 24
        var before = ExclusivityAuditor.Run(model, x, dims, y, layers, ExclusivityOptions.Default with { BatchSize = 25, Batches = 50 }, NullProgress.Instance);
        Assert.True(before.Main.Secure.Count < 50, $"original: {before.Main.Secure.Count}/50 secure");
        var attack = GradientAttackSimulation.Run(hardened, x, dims, y, hl,
            AttackSimulationOptions.Default with { BatchSize = 4, InsecureBatches = 0, RandomBatches = 2 }, NullProgress.Instance);
        Assert.All(attack.Batches, b => Assert.Equal(0, b.Recovered));
    }
}
