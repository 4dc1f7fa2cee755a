using OnnxAudit.Audits.SplitInversion;
using OnnxAudit.Graph;
using OnnxAudit.Metrics;
using OnnxAudit.Onnx;
using OnnxAudit.Tests.TestUtil;
using Xunit.Abstractions;

namespace OnnxAudit.Tests.Audits.SplitInversion;

public sealed class WhiteBoxAttackTests(ITestOutputHelper output)
{
    private static (float[] X, float[] Target, SplitPoint Point, OnnxModel Model) Setup(string model, int pointIndex, int n)
    {
        var m = OnnxModel.Load(RepoPaths.Model(model));
        var analysis = GraphAnalyzer.Analyze(m);
        var p = analysis.SplitPoints[pointIndex];
        var ds = ModelSplitterTests.Samples(n);
        var (x, dims, _) = ds.Batch(Enumerable.Range(0, n).ToArray());
        using var f1 = new ModelRunner(ModelSplitter.Split(m, p).Prefix);
        return (x, f1.Run(x, dims).Data, p, m);
    }

    private static double MeanPsnr(float[] a, float[] b, int n)
    {
        var size = a.Length / n;
        return Enumerable.Range(0, n).Average(i => ImageMetrics.Psnr(a.AsSpan(i * size, size), b.AsSpan(i * size, size)));
    }

    [Fact]
    public void Conv1_200Iterations_ReconstructsAbove20Db_AndLossDecreases()
    {
        var (x, target, p, model) = Setup("lenet5", 0, 4);
        Assert.Equal("/conv1/Conv_output_0", p.Tensor);
        using var attack = new WhiteBoxAttack(model, p.Tensor, 4, (1, 28, 28), WhiteBoxHyperparameters.Defaults(DepthClass.Conv1));
        var run = attack.Run(target, iterations: 200);
        var psnr = MeanPsnr(x, run.Images, 4);
        output.WriteLine($"loss {run.InitialLoss} → {run.FinalLoss}, PSNR {psnr:F2}");
        Assert.True(run.FinalLoss < 0.1 * run.InitialLoss, $"loss {run.InitialLoss} → {run.FinalLoss}");
        Assert.True(psnr > 20, $"PSNR {psnr:F2} dB after 200 iterations");
        Assert.All(run.Images, v => Assert.InRange(v, 0f, 1f));
    }
}
