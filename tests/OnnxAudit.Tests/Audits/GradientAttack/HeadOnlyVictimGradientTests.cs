using OnnxAudit.Audits;
using OnnxAudit.Audits.Exclusivity;
using OnnxAudit.Audits.GradientAttack;
using OnnxAudit.Data;
using OnnxAudit.Onnx;
using OnnxAudit.Progress;
using OnnxAudit.Runtime;
using OnnxAudit.Tests.Audits.Exclusivity;
using OnnxAudit.Tests.TestUtil;

namespace OnnxAudit.Tests.Audits.GradientAttack;

/// <summary>Issue 17: the report's attack simulation computes the victim gradient of the head's parameters only.</summary>
public sealed class HeadOnlyVictimGradientTests
{
    [Fact]
    public void ContextSimulation_HeadOnlyGradient_RecoversTheSameHeadInputsAsTheWholeModelGradient()
    {
        var model = OnnxModel.Load(RepoPaths.Model("lenet5"));
        var ds = DatasetLoader.Load(Path.Combine(RepoPaths.Samples, "fashion-mnist-test-2000-images-idx3-ubyte.gz"));
        var layers = ExclusivityReferenceTests.Layers(model);
        var options = AttackSimulationOptions.Default with { BatchSize = 2, InsecureBatches = 1, RandomBatches = 1, FeatureMatching = FeatureMatchingOptions.Off };
        var whole = GradientAttackSimulation.Run(model, ds.Pixels.ToArray(), [ds.N, ds.C, ds.H, ds.W], [.. ds.Labels!.Select(v => (int)v)], layers, options, NullProgress.Instance);
        using var context = new AuditContext(model, ModelAnalysis.Analyze(model), ds);
        var head = GradientAttackSimulation.Run(context, model, layers, options, NullProgress.Instance);
        Assert.Equal(whole.Batches.Select(b => b.DatasetIndices), head.Batches.Select(b => b.DatasetIndices));
        Assert.Equal(2, head.Batches.Count);
        for (var k = 0; k < 2; k++)
        {
            Assert.Equal(whole.Batches[k].InferredBatchSize, head.Batches[k].InferredBatchSize);
            var (a, b) = (whole.Batches[k].Samples, head.Batches[k].Samples);
            for (var s = 0; s < a.Count; s++)
            {
                Assert.Equal(a[s].RecoveredLabel, b[s].RecoveredLabel);
                Assert.Equal(a[s].Reconstruction is null, b[s].Reconstruction is null);
                if (a[s].Reconstruction is { } x)
                    for (var i = 0; i < x.Length; i++) Assert.Equal(x[i], b[s].Reconstruction![i], 1e-6f * (1 + Math.Abs(x[i])));
            }
        }
        Assert.True(head.Insecure.RecoveredShare > 0);
    }

    private sealed class StageCounter : IAuditProgress
    {
        public List<string> Stages { get; } = [];

        public IProgressStage Start(string description, double total)
        {
            Stages.Add(description);
            return NullProgress.Instance.Start(description, total);
        }

        public void Message(string text) { }
    }

    [Fact]
    public void RunAll_ForwardChunkBelow256_RecordsTheActivationMasksOnce()
    {
        var model = OnnxModel.Load(RepoPaths.Model("lenet5"));
        var ds = DatasetLoader.Load(Path.Combine(RepoPaths.Samples, "fashion-mnist-test-2000-images-idx3-ubyte.gz"));
        // lenet5's forward activations are ~50 KB per sample: a 1 MB budget makes the chunk ~20, as vgg11_bn's is below 256
        using var budget = global::OnnxAudit.Autodiff.FederatedGradient.WithActivationBudget(1 << 20);
        Assert.InRange(global::OnnxAudit.Autodiff.FederatedGradient.ForwardChunk(model, 256), 1, 255);
        using var context = new AuditContext(model, ModelAnalysis.Analyze(model), ds);
        var progress = new StageCounter();
        var r = ExclusivityAudit.RunAll(context, ExclusivityAuditOptions.QuickPreset with { Harden = false }, progress);
        Assert.NotNull(r.Attack);
        Assert.Single(progress.Stages, s => s.StartsWith("forward pass (activation masks)", StringComparison.Ordinal));
    }
}
