using OnnxAudit.Runtime;
using OnnxAudit.Audits;
using OnnxAudit.Audits.RConv;
using OnnxAudit.Graph;
using OnnxAudit.Onnx;
using OnnxAudit.Progress;
using OnnxAudit.Tests.TestUtil;

namespace OnnxAudit.Tests.Audits.RConv;

public sealed class RConvAnyGraphTests
{
    [Fact]
    public void Run_ResidualResNet20_EveryConvCounted_AndAssessed()
    {
        var model = OnnxModel.Load(Path.Combine(RepoPaths.Reference, "torchvision", "resnet20_cifar.onnx"));
        var analysis = ModelAnalysis.Analyze(model);
        var r = RConvAuditor.Run(model, analysis, null, RConvOptions.Default, NullProgress.Instance);
        Assert.Null(r.NotAssessedReason);
        Assert.Equal(analysis.Layers.Count(l => l.Conv is not null), r.Conditions.Count);
        Assert.True(r.Conditions.Count >= 19, $"{r.Conditions.Count} conv layers");
        Assert.NotEqual(Risk.NotAssessed, r.Verdict.Risk);
        Assert.Contains("reconstruction was not attempted", r.ChainBreakReason, StringComparison.Ordinal);
    }

    [Fact]
    public void Verdict_NoConditionsNoImages_IsNotAssessed_NeverHigh()
    {
        var r = new RConvAuditResult("m.onnx", "", null, [3, 8, 8], [], [], [], null, null, 0, 0);
        Assert.Equal(Risk.NotAssessed, r.Verdict.Risk);
    }

    [Fact]
    public void FitsBudget_Alexnet224Conv1_TooLargeWithUnknownCount_Lenet5Fits()
    {
        // alexnet conv1 at 224×224: 3→64, k 11, s 4, p 2; per-channel system 64·121 = 7,744 rows × 50,176 unknowns.
        var big = RConvConditions.Evaluate(ConvGeometry.Create("features.0", "w", "b", 3, 64, 11, 11, 4, 4, 2, 2, 2, 2, 1, 1, 1, 224, 224), null, "Relu");
        Assert.False(RConvAuditor.FitsBudget(big));
        Assert.Contains("too large to solve here (150,528 unknowns", RConvAuditor.TooLarge(big), StringComparison.Ordinal);
        var small = RConvConditions.Evaluate(ConvGeometry.Create("conv1", "w", "b", 1, 6, 5, 5, 1, 1, 2, 2, 2, 2, 1, 1, 1, 28, 28), null, "Relu");
        Assert.True(RConvAuditor.FitsBudget(small));
    }
}
