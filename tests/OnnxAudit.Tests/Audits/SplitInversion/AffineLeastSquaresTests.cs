using OnnxAudit.Audits.SplitInversion;
using OnnxAudit.Graph;
using OnnxAudit.Metrics;
using OnnxAudit.Onnx;
using OnnxAudit.Runtime;
using OnnxAudit.Tests.TestUtil;
using Xunit.Abstractions;

namespace OnnxAudit.Tests.Audits.SplitInversion;

public sealed class AffineLeastSquaresTests(ITestOutputHelper output)
{
    [Fact]
    public void IsAffine_Lenet5_Conv1Yes_ReluAndLaterNo()
    {
        var m = OnnxModel.Load(RepoPaths.Model("lenet5"));
        var a = ModelAnalysis.Analyze(m);
        Assert.True(AffinePrefix.IsAffine(ModelSplitter.Split(m, a.SplitPoints.First(s => s.ProducerLabel == "conv1")).Prefix, out var why), why);
        Assert.False(AffinePrefix.IsAffine(ModelSplitter.Split(m, a.SplitPoints.First(s => s.ProducerLabel == "relu")).Prefix, out why));
        Assert.Contains("Relu", why, StringComparison.Ordinal);
        Assert.False(AffinePrefix.IsAffine(ModelSplitter.Split(m, a.SplitPoints.First(s => s.ProducerLabel == "fc1")).Prefix, out _));
    }

    [Fact]
    public void Run_Lenet5Conv1_InvertsTheAffineSplitPointAbove60Db()
    {
        var m = OnnxModel.Load(RepoPaths.Model("lenet5"));
        var a = ModelAnalysis.Analyze(m);
        var p = a.SplitPoints.First(s => s.ProducerLabel == "conv1");
        var ds = ModelSplitterTests.Samples(3);
        var (x, dims, _) = ds.Batch([0, 1, 2]);
        using var f1 = new ModelSession(ModelSplitter.Split(m, p).Prefix);
        var target = f1.RunAll(x, dims).Data;
        using var solver = new AffineLeastSquares(m, p.Tensor, 3, (1, 28, 28));
        var run = solver.Run(target);
        var psnr = Enumerable.Range(0, 3).Select(i => ImageMetrics.Psnr(x.AsSpan(i * 784, 784), run.Images.AsSpan(i * 784, 784))).ToArray();
        output.WriteLine($"{run.Iterations} iterations, residual {run.RelativeResidual:G3}, PSNR {string.Join(", ", psnr.Select(v => v.ToString("F1")))}");
        Assert.All(psnr, v => Assert.True(v >= 60, $"PSNR {v:F2} dB < 60 dB"));
        Assert.All(run.Images, v => Assert.InRange(v, 0f, 1f));
    }

    [Fact]
    public void Auditor_AffineSplitPoint_UsesLeastSquares_AndStatesIt()
    {
        var m = OnnxModel.Load(RepoPaths.Model("lenet5"));
        var a = ModelAnalysis.Analyze(m);
        var r = SplitInversionAuditor.Run(m, a, ModelSplitterTests.Samples(20),
            new SplitAuditOptions { At = "conv1", Attacks = [SplitAttack.WhiteBox], Images = 2 });
        var wb = Assert.Single(Assert.Single(r.Points).Attacks);
        Assert.Contains("exact least squares", wb.Settings, StringComparison.Ordinal);
        Assert.True(wb.MeanPsnr.Estimate >= 60, $"PSNR {wb.MeanPsnr.Estimate}");
        Assert.True(r.AnyUnsafe);
    }
}
