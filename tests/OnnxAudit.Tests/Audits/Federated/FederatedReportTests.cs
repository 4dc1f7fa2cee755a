using OnnxAudit.Audits.Federated;
using OnnxAudit.Audits.GradientAttack;
using OnnxAudit.Onnx;
using OnnxAudit.Progress;
using OnnxAudit.Reporting.Model;
using OnnxAudit.Reporting.Sections;
using OnnxAudit.Runtime;
using OnnxAudit.Tests.TestUtil;

namespace OnnxAudit.Tests.Audits.Federated;

/// <summary>The federated gradient-inversion audit end to end on tiny budgets, and its report contribution.</summary>
public class FederatedReportTests
{
    private static FederatedAuditOptions Tiny => new(BatchSize: 1, Batches: 1, Inverting: new InvertingOptions(Iterations: 8, Restarts: 1),
        Dlg: new DlgOptions(Evaluations: 4), Defences: [new DpSgdDefence(1.0, 0.1), new PruningDefence(10), new LargerBatchDefence(2), new ExclusivityReductionDefence()],
        Runtime: new RuntimeOptions(IntraOpThreads: 2)) { FeatureMatching = new FeatureMatchingOptions(Iterations: 5) };

    [Fact]
    public void Lenet5_Audit_HasAllThreeAttacks_TheDefenceTable_AndAnAssessedVerdict()
    {
        var model = OnnxModel.Load(RepoPaths.Model("lenet5"));
        var ds = FederatedAttackTests.Samples.Value;
        var r = FederatedLeakageAudit.Run(model, ds.Pixels.ToArray(), [ds.N, ds.C, ds.H, ds.W], ds.Labels!, Tiny, NullProgress.Instance);
        Assert.Equal(["analytic (Pan et al.)", "Inverting Gradients", "DLG"], r.Attacks.Select(a => a.Attack));
        Assert.All(r.Attacks, a => Assert.True(double.IsFinite(a.MeanPsnr), a.Attack));
        Assert.Equal(LabelMethod.Idlg, r.LabelMethod);
        Assert.Equal(r.TrueLabels[0], r.InferredLabels[0]);
        // exclusivity reduction applies to lenet5's three-layer ReLU head; all four defences are in the table
        Assert.Equal(4, r.Defences.Count);
        Assert.All(r.Defences.Where(d => d.Defence is DpSgdDefence or PruningDefence), d => Assert.True(d.Distortion > 0));
        Assert.True(double.IsNaN(r.NoiseFloorPsnr), "no sweep was asked for");
        Assert.True(r.Defences[0].NoiseToSignal > 0 && double.IsNaN(r.Defences[1].NoiseToSignal));
        var c = FederatedAttackReport.Build(r);
        Assert.NotEqual(Severity.NotAssessed, c.Verdict.Severity);
        var blocks = c.Sections.Single().Blocks;
        Assert.Contains(blocks, b => b is ImageGridBlock g && g.Rows.Count == 4);
        Assert.Equal(2, blocks.OfType<TableBlock>().Count());
        Assert.Contains(blocks, b => b is FindingBlock);
    }

    [Fact]
    public void Resnet18_SingleLinearHead_ReportsItsExclusivityRule_AndTheAnalyticAttackFromTheBias()
    {
        var model = FederatedAttackTests.Resnet18();
        var (x, dims, y) = FederatedAttackTests.ColourBatch([3, 141, 592, 653]);
        var r = FederatedLeakageAudit.Run(model, x, dims, y, Tiny with { Inverting = new InvertingOptions(Iterations: 2, Restarts: 1), Dlg = null, Defences = [] },
            NullProgress.Instance);
        Assert.NotNull(r.HeadExclusivity);
        Assert.Contains("exclusive", r.HeadExclusivity!.Rule, StringComparison.Ordinal);
        var analytic = r.Attacks.Single(a => a.Attack.StartsWith("analytic", StringComparison.Ordinal));
        Assert.Null(analytic.Note);
        Assert.Equal(1.0, analytic.LabelAccuracy);
    }

    [Fact]
    public void TimeBudget_PlansTheIterations_BetweenTheFloorAndTheConfiguredCount_AndStatesIt()
    {
        var model = OnnxModel.Load(RepoPaths.Model("lenet5"));
        var ds = FederatedAttackTests.Samples.Value;
        var opts = Tiny with { Inverting = new InvertingOptions(Iterations: 400, Restarts: 2), Dlg = new DlgOptions(Evaluations: 300), Defences = [new PruningDefence(10)], Analytic = false };
        // a budget far below one iteration per run: the floors (50 iterations, one restart; 20 evaluations)
        var low = FederatedLeakageAudit.Run(model, ds.Pixels.ToArray(), [ds.N, ds.C, ds.H, ds.W], ds.Labels!, opts with { SecondsBudget = 1e-3 }, NullProgress.Instance);
        var inv = low.Attacks.Single(a => a.Attack == "Inverting Gradients").Budget;
        Assert.Contains($"of {InvertingOptions.MinimumIterations} iterations, 1 restart(s)", inv, StringComparison.Ordinal);
        Assert.Contains("planned for a 0 s share", inv, StringComparison.Ordinal);
        // the cost rule and that the floor does not fit the share are stated beside the count
        Assert.Contains(FederatedLeakageAudit.CostRule, inv, StringComparison.Ordinal);
        Assert.Contains($"the minimum of {InvertingOptions.MinimumIterations} iterations is over this share", inv, StringComparison.Ordinal);
        Assert.Contains($"the minimum of {DlgOptions.MinimumEvaluations} evaluations is over this share", low.Attacks.Single(a => a.Attack == "DLG").Budget, StringComparison.Ordinal);
        Assert.Contains($"{DlgOptions.MinimumEvaluations} evaluations", low.Attacks.Single(a => a.Attack == "DLG").Budget, StringComparison.Ordinal);
        Assert.Single(low.Defences);
        // quick's rule: defences are attacked only when the undefended Inverting leaks (it cannot at 50 iterations on 1e-3 s)
        var skip = FederatedLeakageAudit.Run(model, ds.Pixels.ToArray(), [ds.N, ds.C, ds.H, ds.W], ds.Labels!,
            opts with { SecondsBudget = 1e-3, DefencesOnlyWhenLeaking = true, LeakPsnr = 1000 }, NullProgress.Instance);
        Assert.Empty(skip.Defences);
        Assert.Contains("defences not attacked", skip.DefenceNote, StringComparison.Ordinal);
        Assert.Contains(FederatedAttackReport.Build(skip).Sections.Single().Blocks, b => b is NoteBlock n && n.Text.Contains("defences not attacked", StringComparison.Ordinal));
    }

    [Fact]
    public void Lenet5_DpSgdSweep_AddsTransitionRowsInSigmaOrder_MeasuresTheNoiseFloor_AndDrawsIt()
    {
        var model = OnnxModel.Load(RepoPaths.Model("lenet5"));
        var ds = FederatedAttackTests.Samples.Value;
        var opts = Tiny with
        {
            Inverting = new InvertingOptions(Iterations: 100, Restarts: 1), Dlg = null, Analytic = false,
            Defences = [new PruningDefence(10), new DpSgdDefence(1.0, 0.1), new DpSgdDefence(1.0, 1.0)], SweepDpSgd = true,
        };
        var r = FederatedLeakageAudit.Run(model, ds.Pixels.ToArray(), [ds.N, ds.C, ds.H, ds.W], ds.Labels!, opts, NullProgress.Instance);
        Assert.IsType<PruningDefence>(r.Defences[0].Defence);
        var dp = r.Defences.Skip(1).Select(d => (DpSgdDefence)d.Defence).ToList();
        Assert.Equal(dp.Select(d => d.Sigma).Order(), dp.Select(d => d.Sigma));
        var added = r.Defences.Where(d => d.Defence is DpSgdDefence { Sigma: not (0.1 or 1.0) }).ToList();
        Assert.InRange(added.Count, 3, 4);
        Assert.All(added, d => Assert.InRange(d.NoiseToSignal, DpSgdSweep.RhoLow * (1 - 1e-9), DpSgdSweep.RhoHigh));
        // ρ grows in proportion to σ (one batch: the same signal for every row)
        Assert.All(r.Defences.Skip(1), d => Assert.Equal(dp[0].Sigma / r.Defences[1].NoiseToSignal, ((DpSgdDefence)d.Defence).Sigma / d.NoiseToSignal, 6));
        Assert.True(double.IsFinite(r.NoiseFloorPsnr) && r.NoiseFloorPsnr > 0);
        Assert.True(r.Attacks.Single().MeanPsnr >= r.NoiseFloorPsnr + DpSgdSweep.MinimumGainDb, "the rows are added only above the floor");
        Assert.Null(r.DpSgdSweepNote);
        var blocks = FederatedAttackReport.Build(r).Sections.Single().Blocks;
        var table = blocks.OfType<TableBlock>().Single(t => t.Caption!.StartsWith("Defences", StringComparison.Ordinal));
        Assert.Equal(r.Defences.Count + 1, table.Rows.Count);
        Assert.Equal("DP-SGD noise alone (floor)", table.Rows[^1][0].Text);
        var chart = blocks.OfType<ChartBlock>().Single();
        Assert.True(chart.LogX);
        Assert.Equal(dp.Count, chart.Series.Single().Points.Count);
        Assert.Contains(chart.Thresholds, t => t.Y == r.NoiseFloorPsnr);
        Assert.Contains(blocks, b => b is ParagraphBlock p && p.Runs.Any(x => x.Text.Contains("With the noise alone as its target", StringComparison.Ordinal)));
        // a time budget that leaves the run a first look only drops the sweep and says so
        var low = FederatedLeakageAudit.Run(model, ds.Pixels.ToArray(), [ds.N, ds.C, ds.H, ds.W], ds.Labels!, opts with { SecondsBudget = 1e-3 }, NullProgress.Instance);
        Assert.Equal(3, low.Defences.Count);
        Assert.True(double.IsNaN(low.NoiseFloorPsnr));
        Assert.Contains("was not run", low.DpSgdSweepNote, StringComparison.Ordinal);
        // an attack that does not beat the floor by MinimumGainDb gets the floor but no σ rows: with 0 iterations the attack and
        // the floor run both return the same random start, so they score the same
        var none = FederatedLeakageAudit.Run(model, ds.Pixels.ToArray(), [ds.N, ds.C, ds.H, ds.W], ds.Labels!,
            opts with { Inverting = new InvertingOptions(Iterations: 0, Restarts: 1) }, NullProgress.Instance);
        Assert.Equal(3, none.Defences.Count);
        Assert.Equal(none.Attacks.Single().MeanPsnr, none.NoiseFloorPsnr, 9);
        Assert.Contains("no σ rows added", none.DpSgdSweepNote, StringComparison.Ordinal);
        var noneBlocks = FederatedAttackReport.Build(none).Sections.Single().Blocks;
        Assert.Contains(noneBlocks, b => b is NoteBlock n && n.Text.Contains("no σ rows added", StringComparison.Ordinal));
        Assert.DoesNotContain(noneBlocks, b => b is ParagraphBlock p && p.Runs.Any(x => x.Text.Contains("were added", StringComparison.Ordinal)));
    }

    [Fact]
    public void Combine_HigherSeverityDecides_AndKeepsBothSections()
    {
        static AuditContribution C(Severity s, string id) => new(new ThreatVerdict(ReportAssembler.FederatedThreat, s, id, [id], id),
            [new ReportSection(id, id, [new NoteBlock(id)])], [id], []);
        var combined = FederatedAttackReport.Combine(C(Severity.Low, "excl"), C(Severity.High, "inv"));
        Assert.Equal(Severity.High, combined.Verdict.Severity);
        Assert.Equal(["excl", "inv"], combined.Sections.Select(s => s.Id));
        Assert.Equal(Severity.Medium, FederatedAttackReport.Combine(null, C(Severity.Medium, "inv")).Verdict.Severity);
        Assert.Equal(Severity.Low, FederatedAttackReport.Combine(C(Severity.NotAssessed, "excl"), C(Severity.Low, "inv")).Verdict.Severity);
    }
}
