using OnnxAudit.Runtime;
using OnnxAudit.Audits.Exclusivity;
using OnnxAudit.Audits.GradientAttack;
using OnnxAudit.Data;
using OnnxAudit.Graph;
using OnnxAudit.Onnx;
using OnnxAudit.Progress;
using OnnxAudit.Reporting.Model;
using OnnxAudit.Reporting.Sections;
using OnnxAudit.Tests.TestUtil;

using OnnxAudit.Tests.Audits.Exclusivity;

namespace OnnxAudit.Tests.Reporting.Sections;

public class ExclusivityReportTests
{
    private static readonly Lazy<Dataset> Samples = new(() => DatasetLoader.Load(Path.Combine(RepoPaths.Samples, "fashion-mnist-test-2000-images-idx3-ubyte.gz")));

    private static ProportionEstimate P(int count, int total)
    {
        var w = OnnxAudit.Metrics.Statistics.WilsonInterval(count, total);
        return new ProportionEstimate(count, total, w.Estimate, w.Lower, w.Upper);
    }

    private static ExclusivityResult Stats(int insecure, int secure, int total = 1000) =>
        new("m", "sha", 2000, [new HeadReluLayer(1, "r", 4)], 0,
            new BatchStatistics(8, P(insecure, total), P(secure, total), P(total - insecure - secure, total), []), [], null, 0.05, null);

    [Theory]
    [InlineData(70, 0, Severity.High)]     // Wilson lower bound of 70/1000 ≈ 5.6% ≥ 5%
    [InlineData(50, 0, Severity.Medium)]   // lower ≈ 3.8% < 5%, upper ≈ 6.5% ≥ 1%
    [InlineData(5, 0, Severity.Medium)]    // upper ≈ 1.2% ≥ 1%
    [InlineData(0, 0, Severity.Low)]       // upper ≈ 0.38% < 1%, not all secure
    [InlineData(0, 1000, Severity.None)]   // every batch secure
    public void Verdict_FollowsTheStatedRule(int insecure, int secure, Severity expected) =>
        Assert.Equal(expected, ExclusivityReport.Verdict(Stats(insecure, secure), null));

    [Fact]
    public void Verdict_AnyRecoveredSampleAtDeploymentSize_IsHigh()
    {
        var sample = new SampleOutcome(0, 1, 1, 1e-4, 40, 0.9, null);
        var batch = new BatchAttackOutcome([0, 1, 2, 3, 4, 5, 6, 7], ExclusivityState.Undetermined, [], 1, 1, 40, 0.9, 1, LossScaleMethod.TwoThirdsRule, "bias division", [sample], [], "x");
        var attack = new AttackSimulationResult("m", true, [1, 28, 28], [batch], new AttackSummary(0, 0, 0, 0, 0, 0), new AttackSummary(1, 0, 1, 40, 0.9, 1), "analytic (FCN)");
        Assert.Equal(Severity.High, ExclusivityReport.Verdict(Stats(0, 0), attack));
        Assert.Equal(Severity.Low, ExclusivityReport.Verdict(Stats(0, 0), attack with { Batches = [batch with { DatasetIndices = [0, 1, 2, 3] }] }));
    }

    [Fact]
    public void RunAll_Fcn512Init_BuildsValidSectionWithFindingChartTablesAndImages()
    {
        var model = OnnxModel.Load(RepoPaths.Model("fcn-512-init"));
        var analysis = ModelAnalysis.Analyze(model);
        var r = ExclusivityAudit.RunAll(model, analysis, Samples.Value, ExclusivityAuditOptions.Default with { Quick = true }, NullProgress.Instance);
        Assert.Null(r.NotApplicableReason);
        Assert.Equal(200, r.Statistics!.Main.Insecure.Total);
        Assert.Equal(r.Hardening!.Statistics.Secure.Total, r.Hardening.Statistics.Secure.Count); // Corollary 1
        Assert.True(r.Hardening.AccuracyBefore is > 0 and < 1);
        var c = ExclusivityReport.Build(r);
        Assert.Equal(ReportAssembler.FederatedThreat, c.Verdict.Threat);
        Assert.Equal(Severity.High, c.Verdict.Severity);
        var section = Assert.Single(c.Sections);
        Assert.True(ReportSection.IsValidId(section.Id));
        foreach (var b in section.Blocks) b.Validate(section.Id);
        var finding = Assert.Single(section.Blocks.OfType<FindingBlock>());
        Assert.Contains("Wilson lower bound ≥ 5%", finding.Rule, StringComparison.Ordinal);
        Assert.Contains("onnx-audit harden", finding.Recommendation, StringComparison.Ordinal);
        Assert.True(Assert.Single(section.Blocks.OfType<ChartBlock>()).LogX);
        var grid = section.Blocks.OfType<ImageGridBlock>().First();
        Assert.Equal(["original", "reconstructed"], grid.Rows.Select(x => x.Label));
        Assert.Equal(8, grid.ColumnCount);
        Assert.Contains(c.Citations, x => x.Key == "Pan22");
    }

    [Fact]
    public void RunAll_Cnn6_NoReluInHead_IsNotAssessedWithReason()
    {
        var model = OnnxModel.Load(RepoPaths.Model("cnn6"));
        var r = ExclusivityAudit.RunAll(model, ModelAnalysis.Analyze(model), Samples.Value, ExclusivityAuditOptions.Default with { Quick = true }, NullProgress.Instance);
        Assert.Contains("no ReLU layer in the classifier head", r.NotApplicableReason, StringComparison.Ordinal);
        var c = ExclusivityReport.Build(r);
        Assert.Equal(Severity.NotAssessed, c.Verdict.Severity);
        Assert.Contains("does not apply", c.Verdict.Evidence, StringComparison.Ordinal);
    }
}
