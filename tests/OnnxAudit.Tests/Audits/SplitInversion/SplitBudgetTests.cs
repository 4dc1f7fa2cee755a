using OnnxAudit.Audits.SplitInversion;
using OnnxAudit.Autodiff;
using OnnxAudit.Onnx;
using OnnxAudit.Progress;
using OnnxAudit.Runtime;

namespace OnnxAudit.Tests.Audits.SplitInversion;

/// <summary>Issue 16 item 4: early stopping on a held-out loss, the decoder's resolution cap and the cost-weighted ETA.</summary>
public sealed class SplitBudgetTests
{
    /// <summary>A flat decoder 4 → 1×4×4 with its gradient session and random (features, image) pairs.</summary>
    private static (GradientSession Session, Dictionary<string, float[]> Parameters, Func<int, TrainingBatch> Next, List<TrainingBatch> HeldOut) Toy(int seed)
    {
        var (g, _) = InverseNetwork.Build([1, 4], (1, 4, 4), new Random(seed));
        var names = InverseNetwork.ParameterNames(g);
        var parameters = names.ToDictionary(n => n, n => TensorData.ToFloats(g.FindInitializer(n)!), StringComparer.Ordinal);
        var session = GradientSessions.Create(g, new GradientRequest(new SquaredErrorLoss(InverseNetwork.Output), names, ParametersAsInputs: true));
        var rng = new Random(seed + 1);
        // images are a fixed linear map of the features (learnable), squashed into (0,1)
        TrainingBatch Make(int b)
        {
            var z = new float[b * 4];
            var x = new float[b * 16];
            for (var i = 0; i < z.Length; i++) z[i] = (float)rng.NextDouble();
            for (var k = 0; k < b; k++)
                for (var p = 0; p < 16; p++) x[k * 16 + p] = 0.2f + 0.6f * z[k * 4 + p % 4];
            return new TrainingBatch(z, [b, 4], null, x);
        }
        return (session, parameters, _ => Make(8), [Make(8), Make(8)]);
    }

    [Fact]
    public void Train_NoProgress_StopsAfterPatienceChecks()
    {
        var (session, parameters, next, heldOut) = Toy(1);
        using var _ = session;
        var s = Trainer.Train(session, parameters, next, heldOut, new TrainingBudget(100, 5, 3, 0.01), learningRate: 1e-12);
        // a negligible learning rate: checks at 5 (the reference), 10, 15, 20 improve by far less than 1 % → stop at 20 of 100
        Assert.Equal(20, s.Steps);
        Assert.True(s.StoppedEarly);
        Assert.InRange(s.BestStep, 5, 20);
        Assert.Equal(16, s.HeldOutImages);
        Assert.Contains("20/100 steps", s.Describe(), StringComparison.Ordinal);
    }

    [Fact]
    public void Train_WithoutHeldOut_UsesTheWholeBudget()
    {
        var (session, parameters, next, _) = Toy(2);
        using var __ = session;
        var s = Trainer.Train(session, parameters, next, [], new TrainingBudget(30, 5, 1, 0.5), learningRate: 1e-2);
        Assert.Equal(30, s.Steps);
        Assert.False(s.StoppedEarly);
        Assert.Equal(0, s.HeldOutImages);
        Assert.True(double.IsNaN(s.BestHeldOutLoss));
    }

    [Fact]
    public void Train_Learning_KeepsTheBestHeldOutParameters()
    {
        var (session, parameters, next, heldOut) = Toy(3);
        using var _ = session;
        var initial = Trainer.HeldOutLoss(session, heldOut, parameters);
        var s = Trainer.Train(session, parameters, next, heldOut, new TrainingBudget(300, 10, 3, 0.01), learningRate: 1e-2);
        Assert.True(s.BestHeldOutLoss < 0.5 * initial, $"held-out {initial} → {s.BestHeldOutLoss}");
        // the returned parameters are the ones of the best check, not of the last step
        Assert.Equal(s.BestHeldOutLoss, Trainer.HeldOutLoss(session, heldOut, parameters), 1e-9);
        Assert.InRange(s.BestStep, 10, s.Steps);
    }

    [Theory]
    [InlineData(1992, 64, 192)]
    [InlineData(192, 64, 32)]
    [InlineData(300, 32, 32)]
    [InlineData(50, 64, 10)]
    [InlineData(9, 64, 0)]
    [InlineData(5000, 64, 256)]
    public void HeldOutCount_TenPercentWithinBounds(int count, int batch, int expected) =>
        Assert.Equal(expected, SplitInversionAuditor.HeldOutCount(count, batch));

    [Fact]
    public void HoldOut_DisjointAndComplete()
    {
        var (train, held) = SplitInversionAuditor.HoldOut(192, 64, 4);
        Assert.Equal(32, held.Length);
        Assert.Equal(Enumerable.Range(0, 192), train.Concat(held).Order());
    }

    [Theory]
    [InlineData(224, 224, 56, 56, 2)]
    [InlineData(224, 224, 112, 112, 1)]
    [InlineData(224, 224, 0, 0, 2)]
    [InlineData(64, 64, 2, 2, 0)]
    [InlineData(28, 28, 0, 0, 0)]
    [InlineData(225, 225, 0, 0, 0)]
    public void OutputHalvings_CapsDecoderPixels(int h, int w, int fh, int fw, int expected) =>
        Assert.Equal(expected, InverseNetwork.OutputHalvings(h, w, fh, fw));

    [Theory]
    [InlineData(new long[] { 1, 8, 8, 8 }, "ConvT")]
    [InlineData(new long[] { 1, 40 }, "FC")]
    public void InverseNetwork_LargeImage_DecodesAtHalfSizeAndTrainsThroughResize(long[] feature, string kind)
    {
        var (g, arch) = InverseNetwork.Build(feature, (3, 128, 128), new Random(1));
        Assert.Contains(kind, arch, StringComparison.Ordinal);
        Assert.Contains("bilinear ×2 (64×64 → 128×128)", arch, StringComparison.Ordinal);
        var names = InverseNetwork.ParameterNames(g);
        Assert.DoesNotContain("g.resize_scales", names);
        var per = feature.Skip(1).Aggregate(1L, (a, b) => a * b);
        using (var run = new ModelSession(g))
        {
            var (y, dims) = run.RunAll(new float[2 * per], [2, .. feature.Skip(1)]);
            Assert.Equal([3L, 128, 128], dims);
            Assert.All(y, v => Assert.InRange(v, 0f, 1f));
        }
        var parameters = names.ToDictionary(n => n, n => TensorData.ToFloats(g.FindInitializer(n)!), StringComparer.Ordinal);
        using var session = GradientSessions.Create(g, new GradientRequest(new SquaredErrorLoss(InverseNetwork.Output), names, ParametersAsInputs: true));
        var target = new float[2 * 3 * 128 * 128];
        Array.Fill(target, 0.9f);
        var r = session.Run(new float[2 * per], [2, .. feature.Skip(1)], target: target, parameters: parameters);
        Assert.True(r.Loss > 0);
        Assert.Contains(names, n => r.Gradient(n).ToArray().Any(v => v != 0));
    }

    [Fact]
    public void ExpectedCost_LenetQuick_IsThePlannedSeconds()
    {
        var path = TestUtil.RepoPaths.Model("lenet5");
        var model = OnnxModel.Load(path);
        var analysis = ModelAnalysis.Analyze(model);
        var data = global::OnnxAudit.Data.DatasetLoader.Load(Path.Combine(TestUtil.RepoPaths.Root, "samples", "fashion-mnist-test-2000-images-idx3-ubyte.gz"));
        var request = new global::OnnxAudit.Pipeline.ReportRequest(path, null, 8, ["auto"], Quick: true, Seed: 1, RuntimeOptions.Default, "test");
        var costs = global::OnnxAudit.Pipeline.AuditPipeline.Auditors.Select(a => global::OnnxAudit.Pipeline.AuditPipeline.ExpectedCost(a, model, analysis, request, data)).ToList();
        // federated: its loops at 1.5e-7 s per parameter per sample, at most the quick 45 s; split: the time plan's seconds
        var f = global::OnnxAudit.Audits.Federated.FederatedAuditOptions.Quick;
        var perEvaluation = 1.5e-7 * analysis.ParameterCount * 8;
        var loops = f.Batches * (f.Inverting!.Iterations * f.Inverting.Restarts + f.Dlg!.Evaluations * f.Dlg.Restarts) * perEvaluation;
        // plus the exclusivity attack's stage 2: 6 runs (2 insecure + 2 random + 2 hardened) of 300 iterations on 8 images
        var stage2 = 6 * 300 * global::OnnxAudit.Audits.GradientAttack.FeatureMatchingPlanner.IterationSeconds(analysis, 8);
        // and the analytic attack's stage 2: 1 victim batch of 8 images, 100 iterations
        var analytic = 100 * global::OnnxAudit.Audits.GradientAttack.FeatureMatchingPlanner.IterationSeconds(analysis, 8);
        Assert.Equal(Math.Min(45, loops) + stage2 + analytic, costs[0], 9);
        Assert.Equal(analytic, global::OnnxAudit.Pipeline.AuditPipeline.AnalyticStageTwoPlan(analysis, request)!.PlannedSeconds, 12);
        Assert.Equal(stage2, global::OnnxAudit.Pipeline.AuditPipeline.StageTwoSeconds(analysis, request, data), 12);
        var plan = SplitBudgetPlanner.Plan(model, analysis, global::OnnxAudit.Pipeline.AuditPipeline.SplitOptions(request), data.N, (data.C, data.H, data.W));
        Assert.Equal(plan.PlannedSeconds, costs[2], 9);
        Assert.True(costs[2] > costs[1]);
        // no data: the split plan has no image shape and counts 0
        Assert.Equal(0, global::OnnxAudit.Pipeline.AuditPipeline.ExpectedCost(global::OnnxAudit.Pipeline.AuditPipeline.Auditors[2], model, analysis, request, null));
    }

    [Fact]
    public void OverallProgress_WeightsPhasesAndSteps()
    {
        var p = new OverallProgress();
        p.SetWeights([1, 1, 98]);
        p.Phase(2, 3);
        p.Step(0.5, 0.25);
        Assert.Equal((2 + 98 * (0.5 + 0.125)) / 100, p.Fraction(0.5), 12);
        p.Phase(1, 3);
        Assert.Equal(0.01, p.Fraction(0), 12);
        // weights that do not match the phase count fall back to equal phases
        p.SetWeights([1, 2]);
        Assert.Equal(1 / 3.0, p.Fraction(0), 12);
        p.Phase(3, 3);
        Assert.Equal(1, p.Fraction(0), 12);
    }
}
