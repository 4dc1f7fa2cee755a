using OnnxAudit.Audits.SplitInversion;
using OnnxAudit.Graph;
using OnnxAudit.Onnx;
using OnnxAudit.Runtime;
using OnnxAudit.Tests.TestUtil;

namespace OnnxAudit.Tests.Audits.SplitInversion;

/// <summary>Issues 16 item 4 / 17 item 6: the deterministic time plan of the split audit.</summary>
public sealed class SplitBudgetPlannerTests
{
    private static readonly Dictionary<string, (OnnxModel Model, GraphAnalysis Analysis)> Cache = new(StringComparer.Ordinal);

    private static (OnnxModel Model, GraphAnalysis Analysis) Load(string path)
    {
        lock (Cache)
        {
            if (!Cache.TryGetValue(path, out var v))
            {
                var m = OnnxModel.Load(path);
                Cache[path] = v = (m, ModelAnalysis.Analyze(m));
            }
            return v;
        }
    }

    private static string Torchvision(string name) => Path.Combine(RepoPaths.Reference, "torchvision", name + ".onnx");

    /// <summary>C, H, W of a model's input (a flat 784 input is a 28×28 image).</summary>
    private static (int C, int H, int W) Shape(GraphAnalysis a)
    {
        var s = a.Tensors[a.InputTensor].Shape;
        return s.Count == 4 ? ((int)s[1], (int)s[2], (int)s[3]) : s.Count == 3 ? (1, (int)s[1], (int)s[2]) : (1, 28, 28);
    }

    [Fact]
    public void Plan_Resnet20_CapsCountsToFitTheBudget_AndStatesTheCaps()
    {
        var (model, analysis) = Load(Torchvision("resnet20_cifar"));
        var quick = SplitBudgetPlanner.Plan(model, analysis, SplitAuditOptions.QuickPreset, 200, (3, 32, 32));
        // the configured quick counts would take longer than the quick budget, so every count is scaled by one factor
        Assert.True(quick.UncappedSeconds > SplitBudgetPlanner.QuickSeconds, $"uncapped {quick.UncappedSeconds}");
        Assert.InRange(quick.PlannedSeconds, 0.9 * SplitBudgetPlanner.QuickSeconds, SplitBudgetPlanner.QuickSeconds);
        Assert.InRange(quick.Fraction, 0.01, 0.99);
        Assert.True(quick.Capped);
        foreach (var a in quick.Points.SelectMany(p => p.Attacks).Where(a => a.NotRun is null && !a.Exact))
        {
            Assert.True(a.Capped);
            Assert.InRange(a.Iterations + a.Steps, SplitBudgetPlanner.MinimumCount, 300);
            Assert.Contains("by the time plan (planned", a.Describe(), StringComparison.Ordinal);
            Assert.Equal(a.FirstLook, a.Describe()!.Contains("a first look only", StringComparison.Ordinal));
        }
        // a tiny explicit budget: every count at the minimum, the query-free attacks dropped with their reason
        var tiny = SplitBudgetPlanner.Plan(model, analysis, SplitAuditOptions.QuickPreset with { SecondsBudget = 1 }, 200, (3, 32, 32));
        Assert.All(tiny.Points.SelectMany(p => p.Attacks).Where(a => a.NotRun is null && !a.Exact && !a.Conditional), a => Assert.Equal(SplitBudgetPlanner.MinimumCount, a.Iterations + a.Steps));
        var dropped = tiny.Points.Select(p => p.For(SplitAttack.QueryFree)!).Where(a => !a.Conditional).ToList();
        Assert.NotEmpty(dropped);
        Assert.All(dropped, a => Assert.StartsWith("not run: the time plan would cut its shadow training", a.NotRun, StringComparison.Ordinal));
        Assert.All(dropped, a => Assert.Equal(0, a.Seconds));
        Assert.Contains(tiny.Points, p => p.For(SplitAttack.WhiteBox)!.FirstLook);
        // no common factor fits: the plan says the counts are at their minimum, not "scaled by 0"
        Assert.Equal(0, tiny.Fraction);
        Assert.Contains($"counts at their minimum ({SplitBudgetPlanner.MinimumCount}", tiny.Describe(), StringComparison.Ordinal);
        Assert.DoesNotContain("scaled by 0 ", tiny.Describe(), StringComparison.Ordinal);
        Assert.Contains("counts scaled by 0.", quick.Describe(), StringComparison.Ordinal);
        // over the budget even at the minimum counts: the white-box λ_TV = 0 companion runs are dropped and stated; the quick
        // plan, which fits, keeps them
        var withTv = tiny.Points.Select(p => p.For(SplitAttack.WhiteBox)!).Where(w => !w.Exact).ToList();
        Assert.NotEmpty(withTv);
        Assert.All(withTv, w => Assert.True(w.CompanionDropped && w.Variants == 1 && w.Describe()!.Contains(SplitBudgetPlanner.CompanionNotRun, StringComparison.Ordinal)));
        Assert.All(quick.Points.Select(p => p.For(SplitAttack.WhiteBox)!).Where(w => !w.Exact), w => Assert.False(w.CompanionDropped));
        Assert.Contains(quick.Points, p => p.For(SplitAttack.WhiteBox)!.Variants == 2);
        // explicit counts are never capped
        var fixedCounts = SplitBudgetPlanner.Plan(model, analysis, SplitAuditOptions.QuickPreset with { SecondsBudget = 1, Iterations = 50, TrainingSteps = 40 }, 200, (3, 32, 32));
        Assert.All(fixedCounts.Points.SelectMany(p => p.Attacks).Where(a => !a.Exact), a => Assert.Equal(a.Attack == SplitAttack.BlackBox ? 0 : 50, a.Iterations));
        Assert.All(fixedCounts.Points.SelectMany(p => p.Attacks).Where(a => a.Attack != SplitAttack.WhiteBox), a => Assert.Equal(40, a.Steps));
    }

    public static TheoryData<string> Models() =>
    [
        .. new[] { "lenet5", "fcn-512", "fcn-512-init", "fcn-deep", "cnn6", "splitnet", "normnet64" }.Select(RepoPaths.Model),
        Torchvision("resnet20_cifar"), Torchvision("mobilenet_v3_small_w025"),
    ];

    [Theory]
    [MemberData(nameof(Models))]
    public void Plan_FullWithinFourTimesQuick_AndDeterministic(string path)
    {
        var (model, analysis) = Load(path);
        var shape = Shape(analysis);
        var quick = SplitBudgetPlanner.Plan(model, analysis, SplitAuditOptions.QuickPreset, 2000, shape);
        var full = SplitBudgetPlanner.Plan(model, analysis, SplitAuditOptions.Default, 2000, shape);
        // 4× the quick plan, or the full minimum for small models whose quick plan is short
        Assert.True(full.PlannedSeconds <= Math.Max(SplitBudgetPlanner.FullToQuick * quick.PlannedSeconds, SplitBudgetPlanner.FullMinimumSeconds) * (1 + 1e-9),
            $"{Path.GetFileName(path)}: full {full.PlannedSeconds:F1} s, quick {quick.PlannedSeconds:F1} s");
        if (SplitBudgetPlanner.FullToQuick * quick.PlannedSeconds < SplitBudgetPlanner.FullMinimumSeconds)
            Assert.True(full.PlannedSeconds <= SplitBudgetPlanner.FullMinimumSeconds * (1 + 1e-9) && (full.Fraction == 1 || full.PlannedSeconds >= 0.9 * SplitBudgetPlanner.FullMinimumSeconds),
                $"{Path.GetFileName(path)}: a small model's full plan uses the minimum budget ({full.Describe()})");
        Assert.True(quick.PlannedSeconds <= SplitBudgetPlanner.QuickSeconds);
        // a full run never attacks a point with less than the quick run does (the ratio cuts full, not below quick)
        foreach (var p in full.Points)
            if (quick.For(p.Point.Tensor) is { } q)
                foreach (var a in p.Attacks.Where(a => a.NotRun is null && q.For(a.Attack) is { NotRun: null }))
                    Assert.True(a.Iterations >= q.For(a.Attack)!.Iterations && a.Steps >= q.For(a.Attack)!.Steps, $"{p.Point.ProducerLabel} {a.Attack}: full {a} quick {q.For(a.Attack)}");
        // the same inputs give the same plan (nothing is timed)
        var again = SplitBudgetPlanner.Plan(model, analysis, SplitAuditOptions.Default, 2000, shape);
        Assert.Equal(full.Describe(), again.Describe());
        Assert.Equal(full.Points.SelectMany(p => p.Attacks), again.Points.SelectMany(p => p.Attacks));
    }

    [Theory]
    [InlineData("lenet5")]
    [InlineData("fcn-512")]
    [InlineData("cnn6")]
    public void WholeReport_FullPlanWithinFourTimesQuick(string name)
    {
        var path = RepoPaths.Model(name);
        var (model, analysis) = Load(path);
        var data = global::OnnxAudit.Data.DatasetLoader.Load(Path.Combine(RepoPaths.Root, "samples", "fashion-mnist-test-2000-images-idx3-ubyte.gz"));
        (double All, double Split, double StageTwo) Seconds(bool quick)
        {
            var request = new global::OnnxAudit.Pipeline.ReportRequest(path, null, 8, ["auto"], quick, 1, RuntimeOptions.Default, "test");
            var each = global::OnnxAudit.Pipeline.AuditPipeline.Auditors.Select(a => (a, s: global::OnnxAudit.Pipeline.AuditPipeline.ExpectedCost(a, model, analysis, request, data))).ToList();
            return (each.Sum(e => e.s), each.Where(e => e.a.Threat == global::OnnxAudit.Audits.Threats.Split).Sum(e => e.s),
                global::OnnxAudit.Pipeline.AuditPipeline.StageTwoSeconds(analysis, request, data)
                + (global::OnnxAudit.Pipeline.AuditPipeline.AnalyticStageTwoPlan(analysis, request)?.PlannedSeconds ?? 0));
        }
        var ((q, qs, q2), (f, fs, f2)) = (Seconds(true), Seconds(false));
        // the split phase and the exclusivity attack's stage 2: 4× their quick plans, or their full minimum for a small model;
        // the rest: 4× its quick plan
        Assert.True(fs <= Math.Max(4 * qs, SplitBudgetPlanner.FullMinimumSeconds) * (1 + 1e-9), $"{name}: full split {fs:F1} s, quick split {qs:F1} s");
        Assert.True(f2 <= Math.Max(4 * q2, global::OnnxAudit.Audits.GradientAttack.FeatureMatchingPlanner.FullMinimumSeconds
            + global::OnnxAudit.Audits.GradientAttack.FeatureMatchingPlanner.AnalyticQuickSeconds) * (1 + 1e-9), $"{name}: full stage 2 {f2:F1} s, quick {q2:F1} s");
        Assert.True(f - fs - f2 <= 4 * (q - qs - q2) * (1 + 1e-9), $"{name}: full {f:F1} s, quick {q:F1} s");
        Assert.True(f > q);
        // the federated part alone: at most 4× its quick plan, at most 180 s
        var fq = global::OnnxAudit.Pipeline.AuditPipeline.FederatedSeconds(analysis, global::OnnxAudit.Audits.Federated.FederatedAuditOptions.Quick with { BatchSize = 8 });
        var ff = global::OnnxAudit.Pipeline.AuditPipeline.FederatedSeconds(analysis,
            global::OnnxAudit.Pipeline.AuditPipeline.FederatedOptions(new global::OnnxAudit.Pipeline.ReportRequest(path, null, 8, ["auto"], false, 1, RuntimeOptions.Default, "test"), analysis));
        Assert.InRange(ff, fq, Math.Min(180, 4 * fq) * (1 + 1e-9));
    }

    [Fact]
    public void FederatedSeconds_OverTheBudgetAtTheMinimumCounts_CountsTheMinimums()
    {
        var (_, analysis) = Load(RepoPaths.Model("lenet5"));
        var f = global::OnnxAudit.Audits.Federated.FederatedAuditOptions.Quick with { BatchSize = 8, SecondsBudget = 1e-3 };
        var perEvaluation = global::OnnxAudit.Audits.Federated.FederatedLeakageAudit.EvaluationSeconds(analysis.ParameterCount, 8);
        var listed = f.DefencesOnlyWhenLeaking ? 0 : (f.Defences ?? global::OnnxAudit.Audits.Federated.FederatedAuditOptions.PaperDefences).Count;
        // the planner's floors: 10 Inverting iterations per run (1 restart, no sweep), 5 DLG evaluations per restart
        var floor = f.Batches * perEvaluation * (10.0 * (1 + listed) + 5.0 * f.Dlg!.Restarts);
        var seconds = global::OnnxAudit.Pipeline.AuditPipeline.FederatedSeconds(analysis, f);
        Assert.True(floor > 1e-3, $"floor {floor} s");
        Assert.Equal(floor, seconds, 1e-12);
        // a budget the loops fit keeps the budget as the cap
        var roomy = global::OnnxAudit.Pipeline.AuditPipeline.FederatedSeconds(analysis, f with { SecondsBudget = 2 * floor });
        Assert.Equal(2 * floor, roomy, 1e-9);
    }

    [Theory]
    [InlineData("lenet5")]
    [InlineData("fcn-512")]
    public void Plan_SmallModelsQuick_KeepTheirConfiguredBudgets(string name)
    {
        var (model, analysis) = Load(RepoPaths.Model(name));
        var plan = SplitBudgetPlanner.Plan(model, analysis, SplitAuditOptions.QuickPreset, 2000, (1, 28, 28));
        Assert.Equal(1, plan.Fraction);
        Assert.False(plan.Capped);
        Assert.All(plan.Points.SelectMany(p => p.Attacks), a =>
        {
            if (a.Conditional) Assert.StartsWith("run because the exact solve did not show", a.Describe(), StringComparison.Ordinal);
            else Assert.Null(a.Describe());
            if (!a.Exact && a.Attack != SplitAttack.BlackBox) Assert.Equal(SplitAuditOptions.QuickIterations, a.Iterations);
            if (a.Attack != SplitAttack.WhiteBox) Assert.Equal(SplitAuditOptions.QuickTrainingSteps, a.Steps);
        });
        Assert.Contains("nothing capped", plan.Describe(), StringComparison.Ordinal);
    }

    [Fact]
    public void Plan_AffinePoint_TrainingAttacksAreConditional_AndTheFullMinimumKeepsLenet5sTraining()
    {
        var (model, analysis) = Load(RepoPaths.Model("lenet5"));
        var full = SplitBudgetPlanner.Plan(model, analysis, SplitAuditOptions.Default, 2000, (1, 28, 28));
        var conv1 = full.Points[0];
        Assert.True(conv1.For(SplitAttack.WhiteBox)!.Exact);
        Assert.True(conv1.For(SplitAttack.BlackBox)!.Conditional);
        Assert.True(conv1.For(SplitAttack.QueryFree)!.Conditional);
        // conditional attacks are not charged: the planned total is the sum of the others
        Assert.Equal(full.Points.SelectMany(p => p.Attacks).Where(a => !a.Conditional).Sum(a => a.Seconds), full.PlannedSeconds, 9);
        Assert.All(full.Points.Skip(1).SelectMany(p => p.Attacks), a => Assert.False(a.Conditional));
        Assert.Contains("at least 240 s", full.Describe(), StringComparison.Ordinal);
        // 4× lenet5's quick plan cut the decoder training to 582 of 2,000 steps (HIGH → MEDIUM at fc2/relu_3); the minimum
        // budget with the conditional conv1 attacks gives the later points more than 900 (986)
        Assert.All(full.Points.Skip(1).Select(p => p.For(SplitAttack.BlackBox)!), a => Assert.True(a.Steps > 900, a.ToString()));
    }

    [Fact]
    public void Points_ReshapeOfAnEarlierPoint_IsMergedIntoIt()
    {
        var (model, analysis) = Load(Torchvision("resnet20_cifar"));
        var merged = SplitBudgetPlanner.Merge(analysis, analysis.SplitPoints);
        Assert.Equal(analysis.SplitPoints.Count - 1, merged.Count);
        var pool = Assert.Single(merged, m => m.Equivalent.Count > 0);
        Assert.Equal("/AveragePool_output_0", pool.Point.Tensor);
        Assert.Equal("/Reshape_output_0", Assert.Single(pool.Equivalent).Tensor);
        // the quick sample spreads over the merged list: its last point is the pooling output, standing for the Reshape too
        var quick = SplitBudgetPlanner.Points(model, analysis, SplitAuditOptions.QuickPreset);
        Assert.Equal(SplitAuditOptions.QuickMaxPoints, quick.Count);
        Assert.Equal("/AveragePool_output_0", quick[^1].Point.Tensor);
        Assert.DoesNotContain(quick, q => q.Point.Tensor == "/Reshape_output_0");
        // lenet5: the Flatten after pool_1 is merged into pool_1, nothing else (conv → relu → pool are not reshapes)
        var (_, la) = Load(RepoPaths.Model("lenet5"));
        var lenet = SplitBudgetPlanner.Merge(la, la.SplitPoints);
        Assert.Equal(la.SplitPoints.Count - 1, lenet.Count);
        var p1 = Assert.Single(lenet, m => m.Equivalent.Count > 0);
        Assert.Equal(("pool_1", "flatten"), (p1.Point.ProducerLabel, Assert.Single(p1.Equivalent).ProducerLabel));
    }

    [Fact]
    public void DecoderCost_MatchesTheBuiltDecodersParameters()
    {
        foreach (var (feature, image) in new (long[] F, (int, int, int) I)[] { ([1, 64, 8, 8], (3, 64, 64)), ([1, 120], (1, 28, 28)), ([1, 512, 1, 1], (3, 64, 64)), ([1, 16, 56, 56], (3, 224, 224)) })
        {
            var (g, _) = InverseNetwork.Build(feature, image, new Random(1));
            var built = InverseNetwork.ParameterNames(g).Sum(n => (double)TensorData.ElementCount(g.FindInitializer(n)!));
            var (units, layers, parameters) = InverseNetwork.Cost(feature, image);
            Assert.Equal(built, parameters);
            Assert.Equal(g.Graph.Node.Count, layers);
            Assert.True(units > parameters);
        }
    }
}

/// <summary>The time plan in the report: hyper-parameter rows and the merged point's name.</summary>
public sealed class SplitPlanReportTests
{
    [Fact]
    public void HyperParameterTable_StatesThePlanAndEveryCap()
    {
        var model = OnnxModel.Load(Path.Combine(RepoPaths.Reference, "torchvision", "resnet20_cifar.onnx"));
        var analysis = ModelAnalysis.Analyze(model);
        var plan = SplitBudgetPlanner.Plan(model, analysis, SplitAuditOptions.QuickPreset, 200, (3, 32, 32));
        var request = new global::OnnxAudit.Pipeline.ReportRequest("m.onnx", "d", 8, ["auto"], true, 5, RuntimeOptions.Default, "onnx-audit report m.onnx");
        global::OnnxAudit.Reporting.Sections.AuditContribution[] assessed =
            [new(new global::OnnxAudit.Reporting.Model.ThreatVerdict(global::OnnxAudit.Reporting.Sections.ReportAssembler.SplitThreat, global::OnnxAudit.Reporting.Model.Severity.Medium, "e", []), [], [], [])];
        var table = Assert.IsType<global::OnnxAudit.Reporting.Model.TableBlock>(Assert.Single(global::OnnxAudit.Pipeline.HyperParameterTable.Build(request, assessed, plan).Blocks));
        var rows = table.Rows.Select(r => (Setting: r[1].Text, Value: r[2].Text)).ToList();
        Assert.Contains(rows, r => r.Setting == "time plan" && r.Value.StartsWith("time plan: ", StringComparison.Ordinal) && r.Value.Contains("within a 210 s budget", StringComparison.Ordinal));
        var capped = plan.Points.SelectMany(p => p.Attacks.Where(a => a.Capped || a.NotRun is not null)).Count();
        Assert.Equal(capped, rows.Count(r => r.Setting.StartsWith("capped: ", StringComparison.Ordinal)));
        Assert.Contains(rows, r => r.Setting == "not attacked again: Reshape" && r.Value.Contains("a reshape of AveragePool", StringComparison.Ordinal));
        // without a plan (a hand-built request) there are no plan rows
        var none = Assert.IsType<global::OnnxAudit.Reporting.Model.TableBlock>(Assert.Single(global::OnnxAudit.Pipeline.HyperParameterTable.Build(request, assessed).Blocks));
        Assert.DoesNotContain(none.Rows, r => r[1].Text == "time plan");
    }

    [Fact]
    public void PointName_NamesTheMergedReshapes()
    {
        var a = new SplitPoint("t1", [1, 64, 1, 1], 64, 48, 3, "avgpool", [0, 1, 2, 3], "…");
        var b = new SplitPoint("t2", [1, 64], 64, 48, 4, "Flatten", [0, 1, 2, 3, 4], "…");
        var r = new SplitPointResult(a, 3, DepthClass.Relu3, [], false) { Equivalent = [b] };
        Assert.Equal("avgpool (t1); also stands for Flatten (t2), a reshape of it (same verdict)", global::OnnxAudit.Reporting.Sections.SplitInversionReport.PointName(r));
        Assert.Equal("avgpool (t1)", global::OnnxAudit.Reporting.Sections.SplitInversionReport.PointName(r with { Equivalent = [] }));
    }
}
