using OnnxAudit.Runtime;
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
        var analysis = ModelAnalysis.Analyze(m);
        var p = analysis.SplitPoints[pointIndex];
        var ds = ModelSplitterTests.Samples(n);
        var (x, dims, _) = ds.Batch(Enumerable.Range(0, n).ToArray());
        using var f1 = new ModelSession(ModelSplitter.Split(m, p).Prefix);
        return (x, f1.RunAll(x, dims).Data, p, m);
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

public sealed class WhiteBoxBatchingTests
{
    [Fact]
    public void Run_BatchOfTwo_EqualsTwoSingleRuns_WithTotalVariation()
    {
        // The TV weight is divided by B and the gradient multiplied by B: a batched run must take the same steps as
        // separate runs (checks the scaling of both terms, λ = 10 so TV matters).
        var m = OnnxModel.Load(RepoPaths.Model("lenet5"));
        var analysis = ModelAnalysis.Analyze(m);
        var p = analysis.SplitPoints.First(s => s.ProducerLabel == "relu");
        var ds = ModelSplitterTests.Samples(2);
        var (x, dims, _) = ds.Batch([0, 1]);
        using var f1 = new ModelSession(ModelSplitter.Split(m, p).Prefix);
        var target = f1.RunAll(x, dims).Data;
        var hyper = WhiteBoxHyperparameters.Defaults(DepthClass.Relu2);
        using var both = new WhiteBoxAttack(m, p.Tensor, 2, (1, 28, 28), hyper);
        using var one = new WhiteBoxAttack(m, p.Tensor, 1, (1, 28, 28), hyper);
        var joint = both.Run(target, iterations: 30).Images;
        var per = target.Length / 2;
        for (var i = 0; i < 2; i++)
        {
            var single = one.Run(target.AsSpan(i * per, per), iterations: 30).Images;
            Numerics.AssertClose(expected: single, actual: joint.AsSpan(i * 784, 784), atol: 2e-4, rtol: 0, what: $"image {i}");
        }
    }

    [Fact]
    public void Classify_LenetAndSplitnet_FollowsTheStatedRule()
    {
        static Dictionary<string, DepthClass> Classes(string name)
        {
            var a = ModelAnalysis.Analyze(OnnxModel.Load(RepoPaths.Model(name)));
            return a.SplitPoints.ToDictionary(s => s.ProducerLabel, s => WhiteBoxHyperparameters.Classify(a, s));
        }
        var lenet = Classes("lenet5");
        Assert.Equal(DepthClass.Conv1, lenet["conv1"]);
        Assert.Equal(DepthClass.Relu2, lenet["relu"]);
        Assert.Equal(DepthClass.Relu2, lenet["pool_1"]);
        Assert.Equal(DepthClass.Fc1, lenet["fc1"]);
        var split = Classes("splitnet");
        Assert.Equal(DepthClass.Relu2, split["conv2"]);
        Assert.Equal(DepthClass.Relu3, split["relu_2"]);
        Assert.Equal(DepthClass.Fc1, split["relu_4"]);
    }
}

public sealed class WhiteBoxTvReuseTests
{
    [Fact]
    public void Run_OtherTvWeightOnOneSession_EqualsSessionBuiltForIt_BitForBit()
    {
        // λ_TV is fed at run time so the auditor's λ = 0 companion run reuses the λ > 0 session: both λ must give
        // exactly the images and losses of an attack built for that λ alone.
        var m = OnnxModel.Load(RepoPaths.Model("lenet5"));
        var p = ModelAnalysis.Analyze(m).SplitPoints.First(s => s.ProducerLabel == "relu");
        var ds = ModelSplitterTests.Samples(1);
        var (x, dims, _) = ds.Batch([0]);
        using var f1 = new ModelSession(ModelSplitter.Split(m, p).Prefix);
        var target = f1.RunAll(x, dims).Data;
        var hyper = WhiteBoxHyperparameters.Defaults(DepthClass.Relu2);
        Assert.True(hyper.TvWeight > 0);
        using var shared = new WhiteBoxAttack(m, p.Tensor, 1, (1, 28, 28), hyper);
        using var zero = new WhiteBoxAttack(m, p.Tensor, 1, (1, 28, 28), hyper with { TvWeight = 0 });

        var sharedTv = shared.Run(target, iterations: 8);
        var sharedZero = shared.Run(target, iterations: 8, tvWeight: 0);
        var sharedTvAgain = shared.Run(target, iterations: 8);
        var alone = zero.Run(target, iterations: 8);

        Assert.Equal(alone.Images, sharedZero.Images);
        Assert.Equal((alone.InitialLoss, alone.FinalLoss), (sharedZero.InitialLoss, sharedZero.FinalLoss));
        Assert.Equal(sharedTv.Images, sharedTvAgain.Images);
        Assert.NotEqual(sharedTv.Images, sharedZero.Images);
        Assert.Throws<InvalidOperationException>(() => zero.Run(target, iterations: 1, tvWeight: 1));
    }
}
