using OnnxAudit.Audits.Federated;
using OnnxAudit.Autodiff;
using OnnxAudit.Onnx;
using OnnxAudit.Progress;
using OnnxAudit.Reporting.Model;
using OnnxAudit.Reporting.Sections;
using OnnxAudit.Runtime;
using OnnxAudit.Tests.TestUtil;

namespace OnnxAudit.Tests.Audits.Federated;

/// <summary>The second-order gate (issue 17: vit_b_16@224 was OOM-killed in Inverting): an attack over the memory limit or
/// whose minimum run is far over the budget is turned off with its reason, and the audit lists it instead of crashing.</summary>
public class SecondOrderCostTests
{
    private static readonly Lazy<(OnnxModel Model, OnnxAudit.Graph.GraphAnalysis Analysis)> Lenet5 = new(() =>
    {
        var m = OnnxModel.Load(RepoPaths.Model("lenet5"));
        return (m, StaticShapeSource.Analyze(m, new OnnxAudit.Graph.GraphAnalysisOptions { BatchSize = 1 }, RuntimeOptions.Default));
    });

    private static FederatedAuditOptions Options(double? budget) => new(BatchSize: 2, Batches: 1, Inverting: InvertingOptions.Quick, Dlg: DlgOptions.Quick) { SecondsBudget = budget };

    [Fact]
    public void Estimates_GrowWithTheBatch()
    {
        var a = Lenet5.Value.Analysis;
        Assert.True(SecondOrderCost.ActivationBytesPerSample(a) > 0);
        Assert.Equal(SecondOrderCost.ActivationFactor * SecondOrderCost.ActivationBytesPerSample(a), SecondOrderCost.MemoryBytes(a, 2) - SecondOrderCost.MemoryBytes(a, 1), 1.0);
        Assert.True(SecondOrderCost.EvaluationSeconds(a, 8) > SecondOrderCost.EvaluationSeconds(a, 1));
    }

    [Fact]
    public void Gate_KeepsBothAttacks_WhenTheyFit()
    {
        var g = GradientInversionAuditor.Gate(Lenet5.Value.Analysis, Options(45), long.MaxValue);
        Assert.NotNull(g.Inverting);
        Assert.NotNull(g.Dlg);
        Assert.Null(g.InvertingNotRun);
        Assert.Null(g.DlgNotRun);
    }

    [Fact]
    public void Gate_TurnsBothOff_AboveTheMemoryLimit_WithTheEstimate()
    {
        var a = Lenet5.Value.Analysis;
        var limit = SecondOrderCost.MemoryBytes(a, 2) - 1;
        var g = GradientInversionAuditor.Gate(a, Options(null), limit);
        Assert.Null(g.Inverting);
        Assert.Null(g.Dlg);
        Assert.Contains("above the memory limit", g.InvertingNotRun, StringComparison.Ordinal);
        Assert.Contains("--max-memory", g.DlgNotRun, StringComparison.Ordinal);
        // one byte more and it fits
        Assert.NotNull(GradientInversionAuditor.Gate(a, Options(null), limit + 1).Inverting);
    }

    [Fact]
    public void Gate_TurnsAnAttackOff_OnlyWhenItsMinimumRunIsOverTheBudgetMultiple()
    {
        var a = Lenet5.Value.Analysis;
        var each = SecondOrderCost.EvaluationSeconds(a, 2);
        // Inverting's minimum is 11 evaluations, DLG's 5: a budget between the two thresholds turns off Inverting only
        var invEdge = (InvertingOptions.MinimumIterations + 1) * each / SecondOrderCost.MaxBudgetMultiple;
        var dlgEdge = DlgOptions.MinimumEvaluations * each / SecondOrderCost.MaxBudgetMultiple;
        var between = GradientInversionAuditor.Gate(a, Options((invEdge + dlgEdge) / 2), long.MaxValue);
        Assert.Null(between.Inverting);
        Assert.Contains("minimum of 11 evaluations", between.InvertingNotRun, StringComparison.Ordinal);
        Assert.NotNull(between.Dlg);
        Assert.Null(between.DlgNotRun);
        Assert.NotNull(GradientInversionAuditor.Gate(a, Options(invEdge * 1.0001), long.MaxValue).Inverting);
        Assert.Null(GradientInversionAuditor.Gate(a, Options(dlgEdge * 0.999), long.MaxValue).Dlg);
    }

    [Fact]
    public void Audit_ListsAnAttackThatWasNotRun_WithItsReason_AndTheDefencesSayWhy()
    {
        var (model, _) = Lenet5.Value;
        var ds = FederatedAttackTests.Samples.Value;
        var options = new FederatedAuditOptions(BatchSize: 1, Batches: 1, Defences: [new DpSgdDefence(1.0, 0.1)], Runtime: new RuntimeOptions(IntraOpThreads: 2))
        {
            Analytic = false,
            InvertingNotRun = "not run: test reason A", DlgNotRun = "not run: test reason B",
        };
        var r = FederatedLeakageAudit.Run(model, ds.Pixels.ToArray(), [ds.N, ds.C, ds.H, ds.W], ds.Labels!, options, NullProgress.Instance);
        Assert.Equal(["Inverting Gradients", "DLG"], r.Attacks.Select(a => a.Attack));
        Assert.Equal(["not run: test reason A", "not run: test reason B"], r.Attacks.Select(a => a.Note));
        Assert.Empty(r.Defences);
        Assert.Contains("test reason A", r.DefenceNote, StringComparison.Ordinal);
        Assert.Contains("test reason B", r.Verdict, StringComparison.Ordinal);
        Assert.StartsWith("none: no attack ran", r.Recommendation, StringComparison.Ordinal);
        Assert.Equal(Severity.NotAssessed, FederatedAttackReport.Build(r).Verdict.Severity);
    }
}
