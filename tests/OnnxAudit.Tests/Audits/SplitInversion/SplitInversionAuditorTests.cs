using OnnxAudit.Runtime;
using OnnxAudit.Audits.SplitInversion;
using OnnxAudit.Errors;
using OnnxAudit.Graph;
using OnnxAudit.Onnx;
using OnnxAudit.Reporting.Model;
using OnnxAudit.Reporting.Sections;
using OnnxAudit.Tests.TestUtil;

namespace OnnxAudit.Tests.Audits.SplitInversion;

public sealed class SplitInversionAuditorTests
{
    private static readonly Lazy<SplitInversionResult> Small = new(() =>
    {
        var m = OnnxModel.Load(RepoPaths.Model("lenet5"));
        var a = ModelAnalysis.Analyze(m);
        var ds = ModelSplitterTests.Samples(300);
        // conv1 (shallow) and relu_3 (deepest) with every attack, cheap settings.
        var points = new[] { "conv1", "relu_3" }.Select(l => a.SplitPoints.First(s => s.ProducerLabel == l)).ToList();
        var narrowed = a with { SplitPoints = points };
        return SplitInversionAuditor.Run(m, narrowed, ds, new SplitAuditOptions { Images = 3, Iterations = 150, TrainingSteps = 60, TrainingBatch = 32 });
    });

    [Fact]
    public void Run_Conv1AndDeepest_Conv1UnsafeByWhiteBox_DeepSafe()
    {
        var r = Small.Value;
        Assert.Equal(2, r.Points.Count);
        var conv1 = r.Points[0];
        var wb = conv1.Attacks.Single(o => o.Attack == SplitAttack.WhiteBox);
        Assert.True(wb.MeanPsnr.Estimate > 25, $"conv1 white-box PSNR {wb.MeanPsnr.Estimate}");
        Assert.True(conv1.Unsafe);
        var deep = r.Points[1];
        Assert.True(deep.Attacks.Single(o => o.Attack == SplitAttack.WhiteBox).MeanPsnr.Estimate < wb.MeanPsnr.Estimate - 10);
        Assert.Equal(3, deep.Attacks.Count);
        Assert.All(deep.Attacks, o => Assert.True(o.Ran, o.Note));
        // conv1 is affine: the exact solve shows it unsafe, so the training attacks there are skipped with that reason
        Assert.All(conv1.Attacks.Where(o => o.Attack != SplitAttack.WhiteBox), o =>
        {
            Assert.False(o.Ran);
            Assert.Equal("the exact least-squares white-box solve already shows this affine point unsafe", o.Note);
        });
        Assert.All(r.Points.SelectMany(p => p.Attacks).Where(o => o.Ran), o => Assert.Equal(3, o.Reconstructions.Count));
        Assert.Equal(deep.Unsafe ? null : deep.Point, r.Recommended);
        Assert.Equal(3, r.TargetIndices.Distinct().Count());
        Assert.Equal(297, r.AuxImages);
        Assert.DoesNotContain(r.TargetIndices, i => i >= 300);
    }

    [Fact]
    public void Report_Build_ValidSectionsWithTableChartsGridsAndFinding()
    {
        var c = SplitInversionReport.Build(Small.Value);
        Assert.Equal(ReportAssembler.SplitThreat, c.Verdict.Threat);
        Assert.Contains(c.Citations, x => x.Key == "He19");
        Assert.All(c.Sections, s => Assert.True(ReportSection.IsValidId(s.Id), s.Id));
        foreach (var s in c.Sections) foreach (var b in s.Blocks) b.Validate(s.Id);
        var blocks = c.Sections.SelectMany(s => s.Blocks).ToList();
        var table = Assert.Single(blocks.OfType<TableBlock>(), t => t.Caption!.StartsWith("Reconstruction quality", StringComparison.Ordinal));
        Assert.Equal(6, table.Rows.Count);
        // the per-attack settings are a table (they were a paragraph of up to 40 entries in the methodology)
        var settings = Assert.Single(blocks.OfType<TableBlock>(), t => t.Caption == "Attack settings per split point");
        Assert.Equal(table.Rows.Count(r => r[^1].Text != "skipped"), settings.Rows.Count);
        Assert.Equal(2, blocks.OfType<ChartBlock>().Count());
        Assert.Equal(2, blocks.OfType<ImageGridBlock>().Count());
        // conv1's grid: the originals and the white-box row (the training attacks were skipped after the exact solve)
        Assert.Equal(2, blocks.OfType<ImageGridBlock>().First().Rows.Count);
        Assert.Equal(4, blocks.OfType<ImageGridBlock>().Last().Rows.Count);
        var finding = Assert.Single(blocks.OfType<FindingBlock>());
        Assert.Contains("unsafe when any attack", finding.Rule, StringComparison.Ordinal);
        Assert.Contains(c.Method, m => m.Contains("He19", StringComparison.Ordinal));
    }

    [Fact]
    public void Run_AttacksGivenBlackBoxFirst_WhiteBoxRunsFirst_SoTheAffinePointSkipsTraining()
    {
        var m = OnnxModel.Load(RepoPaths.Model("lenet5"));
        var a = ModelAnalysis.Analyze(m);
        var r = SplitInversionAuditor.Run(m, a, ModelSplitterTests.Samples(60), new SplitAuditOptions
        {
            At = "conv1", Attacks = [SplitAttack.BlackBox, SplitAttack.WhiteBox], Images = 2, TrainingSteps = 20, TrainingBatch = 16,
        });
        var p = Assert.Single(r.Points);
        Assert.Equal([SplitAttack.WhiteBox, SplitAttack.BlackBox], p.Attacks.Select(o => o.Attack));
        Assert.True(p.Attacks[0].Unsafe);
        Assert.False(p.Attacks[1].Ran);
        Assert.Equal("the exact least-squares white-box solve already shows this affine point unsafe", p.Attacks[1].Note);
    }

    [Fact]
    public void Run_UnknownAt_ThrowsListingValidSplitPoints()
    {
        var m = OnnxModel.Load(RepoPaths.Model("lenet5"));
        var a = ModelAnalysis.Analyze(m);
        var ex = Assert.Throws<OnnxAuditException>(() => SplitInversionAuditor.Run(m, a, ModelSplitterTests.Samples(10), new SplitAuditOptions { At = "nope" }));
        Assert.Contains("/conv1/Conv_output_0 (conv1)", ex.Message, StringComparison.Ordinal);
        Assert.Contains("--splits nope", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void InverseNetwork_SpatialAndFlat_OutputImageShape()
    {
        var rng = new Random(1);
        foreach (var shape in new long[][] { [1, 6, 28, 28], [1, 16, 7, 7], [1, 16, 5, 5], [1, 120] })
        {
            var (g, arch) = InverseNetwork.Build(shape, (1, 28, 28), rng);
            using var run = new ModelSession(g);
            var z = new float[2 * shape.Skip(1).Aggregate(1L, (x, y) => x * y)];
            var (y, dims) = run.RunAll(z, [2, .. shape.Skip(1)]);
            Assert.Equal([1L, 28, 28], dims);
            Assert.All(y, v => Assert.InRange(v, 0f, 1f));
            Assert.Equal(shape.Length == 4 && shape[2] != 5, arch.Contains("ConvT", StringComparison.Ordinal));
        }
    }
}

public sealed class SplitInversionTvFallbackTests
{
    [Fact]
    public void Run_ReluAfterConv1_DefaultTvAlsoTriesZero_AndFindsTheLeak()
    {
        // At the ReLU right after conv1 the depth-class default λ_TV = 10 over-smooths (≈14 dB measured with 5000
        // iterations); with λ_TV = 0 the image is recovered almost exactly. The audit must report the leak.
        var m = OnnxModel.Load(RepoPaths.Model("lenet5"));
        var a = ModelAnalysis.Analyze(m);
        var r = SplitInversionAuditor.Run(m, a, ModelSplitterTests.Samples(50),
            new SplitAuditOptions { At = "relu", Attacks = [SplitAttack.WhiteBox], Images = 2, Iterations = 300 });
        var wb = Assert.Single(Assert.Single(r.Points).Attacks);
        Assert.Contains("λ_TV 0,", wb.Settings, StringComparison.Ordinal);
        Assert.True(wb.MeanPsnr.Estimate > 25, $"PSNR {wb.MeanPsnr.Estimate}");
        Assert.True(r.AnyUnsafe);
        var fixedTv = SplitInversionAuditor.Run(m, a, ModelSplitterTests.Samples(50),
            new SplitAuditOptions { At = "relu", Attacks = [SplitAttack.WhiteBox], Images = 2, Iterations = 300, Tv = 10 });
        Assert.True(fixedTv.Points[0].Attacks[0].MeanPsnr.Estimate < wb.MeanPsnr.Estimate - 5);
    }

    [Fact]
    public void Run_PlanOverItsBudgetAtTheMinimumCounts_DropsTheCompanionRun_AndSaysSo()
    {
        // issue 17 (resnet18@224 quick): a plan over its budget even at the minimum counts drops the λ_TV = 0 companion run
        var m = OnnxModel.Load(RepoPaths.Model("lenet5"));
        var a = ModelAnalysis.Analyze(m);
        var tight = SplitInversionAuditor.Run(m, a, ModelSplitterTests.Samples(50),
            new SplitAuditOptions { At = "relu", Attacks = [SplitAttack.WhiteBox], Images = 2, SecondsBudget = 1e-6 });
        var plan = tight.Plan!.Points.Single().For(SplitAttack.WhiteBox)!;
        Assert.True(plan.CompanionDropped);
        Assert.Equal(1, plan.Variants);
        Assert.True(plan.Capped);
        Assert.Contains(SplitBudgetPlanner.CompanionNotRun, plan.Describe(), StringComparison.Ordinal);
        var wb = Assert.Single(Assert.Single(tight.Points).Attacks);
        Assert.Contains("companion run not run", wb.Settings, StringComparison.Ordinal);
        Assert.DoesNotContain("+", wb.Budget, StringComparison.Ordinal);
        Assert.StartsWith($"{SplitBudgetPlanner.MinimumCount}/", wb.Budget, StringComparison.Ordinal);
        // a budget the plan fits keeps both runs
        var roomy = SplitInversionAuditor.Run(m, a, ModelSplitterTests.Samples(50),
            new SplitAuditOptions { At = "relu", Attacks = [SplitAttack.WhiteBox], Images = 2, Iterations = 20, SecondsBudget = 1e6 });
        Assert.False(roomy.Plan!.Points.Single().For(SplitAttack.WhiteBox)!.CompanionDropped);
        Assert.Equal(2, roomy.Plan.Points.Single().For(SplitAttack.WhiteBox)!.Variants);
        Assert.Contains(" + ", Assert.Single(Assert.Single(roomy.Points).Attacks).Budget, StringComparison.Ordinal);
    }
}
