using OnnxAudit.Audits.Exclusivity;
using OnnxAudit.Audits.GradientAttack;
using OnnxAudit.Audits.SplitInversion;
using OnnxAudit.Graph;
using OnnxAudit.Onnx;
using OnnxAudit.Runtime;
using OnnxAudit.Tests.TestUtil;

namespace OnnxAudit.Tests.Audits.GradientAttack;

/// <summary>Issue 17: the time plan of stage 2 (feature matching) of the exclusivity audit's hybrid attack.</summary>
public sealed class FeatureMatchingPlannerTests
{
    private static readonly Lazy<GraphAnalysis> Lenet5 = new(() => ModelAnalysis.Analyze(OnnxModel.Load(RepoPaths.Model("lenet5"))));

    // lenet5's Φ (conv1 … flatten, 7 layers) per image: conv1 6·28·28·25 = 117,600 multiply-adds + 4,704 outputs, relu 4,704,
    // pool 1,176, conv2 16·10·10·6·25 = 240,000 + 1,600, relu_1 1,600, pool_1 400, flatten 400 = 372,184 units.
    // One iteration on 8 images: 2 passes × (8 · 372,184 + 7 layers · 1e5) + 8 · 784 pixels · 10 (Adam) = 7,417,664 units.
    private const double Lenet5IterationOf8 = 7_417_664 * SplitBudgetPlanner.SecondsPerUnit;

    [Fact]
    public void IterationSeconds_Lenet5_IsTheSplitCostRuleOnPhi()
    {
        Assert.Equal(Lenet5IterationOf8, FeatureMatchingPlanner.IterationSeconds(Lenet5.Value, 8), 12);
        Assert.True(FeatureMatchingPlanner.HasStage2(Lenet5.Value));
    }

    [Fact]
    public void Plan_FitsTheBudget_CapsByOneCount_NeverBelowTheMinimum_AndSaysSo()
    {
        var a = Lenet5.Value;
        // fits: the configured 300 iterations, nothing capped
        var fits = FeatureMatchingPlanner.Plan(a, FeatureMatchingOptions.Quick, 6, 8, 60, "quick: 60 s");
        Assert.Equal(300, fits.Options.Iterations);
        Assert.False(fits.Capped);
        Assert.Equal(6 * 300 * Lenet5IterationOf8, fits.PlannedSeconds, 9);
        Assert.Contains("nothing capped", fits.Options.Planned, StringComparison.Ordinal);
        // 0.5 s: floor(0.5 / (6 · 7.417664e-4 s)) = 112 iterations
        var capped = FeatureMatchingPlanner.Plan(a, FeatureMatchingOptions.Quick, 6, 8, 0.5, "as given");
        Assert.Equal(112, capped.Options.Iterations);
        Assert.True(capped.Capped);
        Assert.InRange(capped.PlannedSeconds, 0.49, 0.5);
        Assert.Equal(6 * 300 * Lenet5IterationOf8, capped.UncappedSeconds, 9);
        Assert.StartsWith("capped at 112 of 300 iterations by the time plan: 6 runs of up to 8 images", capped.Options.Planned, StringComparison.Ordinal);
        Assert.DoesNotContain("first look", capped.Options.Planned, StringComparison.Ordinal);
        // a tiny budget: the minimum count, over the budget, a first look
        var tiny = FeatureMatchingPlanner.Plan(a, FeatureMatchingOptions.Quick, 6, 8, 0.01, "as given");
        Assert.Equal(FeatureMatchingPlanner.MinimumIterations, tiny.Options.Iterations);
        Assert.Contains("a first look only", tiny.Options.Planned, StringComparison.Ordinal);
        Assert.Contains("over the 0.0 s budget even at the minimum count", tiny.Options.Planned, StringComparison.Ordinal);
        Assert.Contains("planned 0.5 s within a 0.5 s budget (as given), 1.3 s uncapped", capped.Options.Planned, StringComparison.Ordinal);
        // the other options are kept
        Assert.Equal(FeatureMatchingOptions.Quick with { Iterations = 112, Planned = capped.Options.Planned }, capped.Options);
    }

    [Fact]
    public void StageTwoPlan_Lenet5_QuickAndFullKeepTheirCounts_FullWithinFourTimesQuickOrTheFloor()
    {
        var a = Lenet5.Value;
        var quickOptions = ExclusivityAuditOptions.QuickPreset;
        Assert.Equal(6, ExclusivityAudit.MaxStageTwoRuns(quickOptions));
        Assert.Equal(12, ExclusivityAudit.MaxStageTwoRuns(ExclusivityAuditOptions.Default));
        Assert.Equal(8, ExclusivityAudit.MaxStageTwoRuns(ExclusivityAuditOptions.Default with { Harden = false }));
        var quick = ExclusivityAudit.StageTwoPlan(a, quickOptions, 6);
        var full = ExclusivityAudit.StageTwoPlan(a, ExclusivityAuditOptions.Default, 12);
        Assert.Equal(300, quick.Options.Iterations);
        Assert.Equal(FeatureMatchingPlanner.QuickSeconds, quick.BudgetSeconds);
        Assert.Equal(1000, full.Options.Iterations);
        // 4 × lenet5's 1.3 s quick plan is under the 60 s floor, so the full run gets the floor
        Assert.Equal(FeatureMatchingPlanner.FullMinimumSeconds, full.BudgetSeconds);
        Assert.Contains("full: at least 60 s", full.Options.Planned, StringComparison.Ordinal);
        Assert.True(full.PlannedSeconds <= Math.Max(FeatureMatchingPlanner.FullToQuick * quick.PlannedSeconds, FeatureMatchingPlanner.FullMinimumSeconds));
    }

    [Fact]
    public void AnalyticStageTwoPlan_Lenet5_OneBatchOfM_QuickAndFull_NoneForAFullyConnectedNet()
    {
        var path = RepoPaths.Model("lenet5");
        var quick = new global::OnnxAudit.Pipeline.ReportRequest(path, null, 8, ["auto"], Quick: true, Seed: 1, RuntimeOptions.Default, "test");
        var q = global::OnnxAudit.Pipeline.AuditPipeline.AnalyticStageTwoPlan(Lenet5.Value, quick)!;
        Assert.Equal((1, 8, 100), (q.Runs, q.ImagesPerRun, q.Options.Iterations));
        Assert.Equal(FeatureMatchingPlanner.AnalyticQuickSeconds, q.BudgetSeconds);
        // the federated options carry the plan to the audit
        Assert.Equal(q.Options, global::OnnxAudit.Pipeline.AuditPipeline.FederatedOptions(quick, Lenet5.Value).FeatureMatching);
        var f = global::OnnxAudit.Pipeline.AuditPipeline.AnalyticStageTwoPlan(Lenet5.Value, quick with { Quick = false })!;
        Assert.Equal((2, 1000), (f.Runs, f.Options.Iterations));
        Assert.Equal(FeatureMatchingPlanner.AnalyticQuickSeconds, f.BudgetSeconds);
        var fcn = ModelAnalysis.Analyze(OnnxModel.Load(RepoPaths.Model("fcn-512")));
        Assert.False(FeatureMatchingPlanner.HasStage2(fcn));
        Assert.Null(global::OnnxAudit.Pipeline.AuditPipeline.AnalyticStageTwoPlan(fcn, quick));
    }

    [Fact]
    public void FullBudget_IsFourTimesTheQuickPlan_AboveTheFloor()
    {
        Assert.Equal(240, FeatureMatchingPlanner.FullBudget(60).Seconds, 12);
        Assert.Equal("full: 4× the quick plan's 60 s", FeatureMatchingPlanner.FullBudget(60).Rule);
        Assert.Equal(FeatureMatchingPlanner.FullMinimumSeconds, FeatureMatchingPlanner.FullBudget(1).Seconds);
    }
}
