using OnnxAudit.Audits;
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
}
