using OnnxAudit.Audits.Exclusivity;
using OnnxAudit.Audits.GradientAttack;
using OnnxAudit.Data;
using OnnxAudit.Onnx;
using OnnxAudit.Progress;
using OnnxAudit.Tests.TestUtil;

using OnnxAudit.Tests.Audits.Exclusivity;

namespace OnnxAudit.Tests.Audits.GradientAttack;

/// <summary>On the bundled models and data the attack on insecure batches is exact.</summary>
public class BundledModelAttackTests
{
    private static readonly Lazy<Dataset> Samples = new(() => DatasetLoader.Load(Path.Combine(RepoPaths.Samples, "fashion-mnist-test-2000-images-idx3-ubyte.gz")));

    // why: fcn-deep has no insecure batch at M = 8 on the bundled data (the sweep: 73% at M = 4, 0% at M = 8), so its
    // acceptance batch size is 4.
    [Theory]
    [InlineData("fcn-512-init", 8)]
    [InlineData("fcn-512", 8)]
    [InlineData("fcn-deep", 4)]
    public void InsecureBatches_ExactBatchSize_AllLabels_PsnrAbove60(string name, int m)
    {
        var model = OnnxModel.Load(RepoPaths.Model(name));
        var ds = Samples.Value;
        var r = GradientAttackSimulation.Run(model, ds.Pixels.ToArray(), [ds.N, ds.C, ds.H, ds.W], [.. ds.Labels!.Select(v => (int)v)],
            ExclusivityReferenceTests.Layers(model),
            AttackSimulationOptions.Default with { BatchSize = m, InsecureBatches = 3, RandomBatches = 0, Seed = 11 }, NullProgress.Instance);
        Assert.Equal(3, r.Insecure.Batches);
        Assert.Equal(3, r.Insecure.BatchSizeExact);
        Assert.Equal(1.0, r.Insecure.LabelAccuracy);
        Assert.Equal(1.0, r.Insecure.RecoveredShare);
        Assert.True(r.Insecure.MeanPsnr >= 60, $"{name}: mean PSNR {r.Insecure.MeanPsnr}");
    }

    [Fact]
    public void GroupColumns_MixturesOfAStrongAndAWeakSample_AreDroppedByTheConeTest()
    {
        // K = 3 classes, two samples: a strong loss vector a, a weak one b (1e-4 of a). Columns (one per neuron):
        // 2a, 3a (ExANs of a); 1b, 2b (ExANs of b); a + 0.05b and a + 0.0500001b (shared neurons): the two mixtures
        // agree within 1e-6 with each other but not with a, so plain grouping makes a third, spurious group.
        double[] a = [-0.6, 0.5, 0.1];
        double[] b = [0.3e-4, -0.5e-4, 0.2e-4];
        double[][] cols = [[.. a.Select(v => 2 * v)], [.. a.Select(v => 3 * v)], b, [.. b.Select(v => 2 * v)],
            [.. a.Select((v, c) => v + 0.05 * b[c])], [.. a.Select((v, c) => v + 0.0500001 * b[c])]];
        var width = cols.Length;
        var gH = new float[3 * width];
        for (var j = 0; j < width; j++) for (var c = 0; c < 3; c++) gH[c * width + j] = (float)cols[j][c];

        var notes = new List<string>();
        var groups = AnalyticGradientAttack.GroupColumns(gH, 3, width, 1e-6, 1e-5, notes);
        Assert.Equal(2, groups.Count);
        Assert.Equal([0, 1], groups.Single(g => g.Contains(0)).Order());
        Assert.Equal([2, 3], groups.Single(g => g.Contains(2)).Order());
        Assert.Contains(notes, n => n.Contains("dropped 1 groups", StringComparison.Ordinal));

        var noCone = AnalyticGradientAttack.GroupColumns(gH, 3, width, 1e-6, 0, []);
        Assert.Equal(3, noCone.Count);
    }

    [Fact]
    public void Nnls_PointInsideCone_HasZeroResidual_PointOutside_HasDistanceToCone()
    {
        double[][] cols = [[1, 0, 0], [0, 1, 0]];
        var x = Nnls.Solve(cols, [2, 3, 0], 3);
        Numerics.AssertClose(expected: new[] { 2.0, 3.0 }, actual: x, atol: 1e-12, rtol: 0);
        // (−1, 2, 2): the negative first coordinate is clipped to 0 → residual √(1 + 4) = √5.
        Assert.Equal(Math.Sqrt(5), Nnls.Residual(cols, [-1, 2, 2], 3), 12);
        Assert.Equal(0.0, Nnls.Residual(cols, [0.5, 0.25, 0], 3), 12);
    }
}
