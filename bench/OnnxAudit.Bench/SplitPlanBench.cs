using System.Diagnostics;
using System.Globalization;
using OnnxAudit.Audits;
using OnnxAudit.Audits.SplitInversion;
using OnnxAudit.Autodiff;
using OnnxAudit.Data;
using OnnxAudit.Onnx;
using OnnxAudit.Runtime;

namespace OnnxAudit.Bench;

/// <summary>
/// usage: OnnxAudit.Bench split-plan &lt;model.onnx&gt; &lt;data&gt; [quick|full] [reps (0 = the plan only)]
/// Prints the split audit's time plan (SplitBudgetPlanner) and, at every planned point, the planner's seconds per white-box
/// iteration (8 images), per decoder training step and per shadow training step (batch 64) beside the measured median wall
/// time of `reps` steps (after one warm-up step), 1 intra-op thread. This is how SplitBudgetPlanner.SecondsPerUnit was chosen;
/// the plan itself never times anything.
/// </summary>
internal static class SplitPlanBench
{
    public static void Run(string[] args)
    {
        var model = OnnxModel.Load(args[0]);
        var data = DatasetLoader.Load(args[1]);
        var quick = args.Length < 3 || args[2] != "full";
        var reps = args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 3;
        var analysis = StaticShapeSource.Analyze(model, new OnnxAudit.Graph.GraphAnalysisOptions { BatchSize = 1 }, RuntimeOptions.Default);
        var options = (quick ? SplitAuditOptions.QuickPreset : SplitAuditOptions.Default);
        var shape = (data.C, data.H, data.W);
        var plan = SplitBudgetPlanner.Plan(model, analysis, options, data.N, shape);
        var ic = CultureInfo.InvariantCulture;
        Console.WriteLine(plan.Describe());
        foreach (var p in plan.Points)
            foreach (var a in p.Attacks)
                Console.WriteLine(string.Create(ic, $"plan {p.Point.ProducerLabel} {a.Attack}: {a.Seconds:F1} s (uncapped {a.UncappedSeconds:F1}), iterations {a.Iterations}/{a.ConfiguredIterations}, steps {a.Steps}/{a.ConfiguredSteps}, aux {a.AuxImages}/{a.AvailableAuxImages}{(a.Exact ? ", exact" : "")}{(a.CompanionDropped ? ", λ_TV = 0 companion dropped" : "")}"));
        if (reps == 0) return;
        var runtime = RuntimeOptions.Default;
        var rank = analysis.Tensors[analysis.InputTensor].Shape.Count;
        long[] Dims(int n) => rank == 2 ? [n, data.ImageSize] : rank == 3 ? [n, data.H, data.W] : [n, data.C, data.H, data.W];
        var count = Math.Min(64, data.N);
        var (x, _, y) = data.Batch(Enumerable.Range(0, count).ToArray());
        double Median(Action step)
        {
            step();
            var t = new double[reps];
            for (var i = 0; i < reps; i++)
            {
                var sw = Stopwatch.StartNew();
                step();
                t[i] = sw.Elapsed.TotalSeconds;
            }
            Array.Sort(t);
            return t[reps / 2];
        }
        foreach (var pp in plan.Points)
        {
            var point = pp.Point;
            var halves = ModelSplitter.Split(model, point);
            var hyper = WhiteBoxHyperparameters.Defaults(WhiteBoxHyperparameters.Classify(analysis, point));
            var n = Math.Min(8, count);
            using (var f1 = new ModelSession(halves.Prefix, runtime))
            {
                var x8 = x.AsSpan(0, n * data.ImageSize).ToArray();
                var target = f1.RunAll(x8, Dims(n)).Data;
                using var attack = new WhiteBoxAttack(model, point.Tensor, n, shape, hyper, runtime);
                var measured = Median(() => attack.Run(target, iterations: 5)) / 5;
                Console.WriteLine(string.Create(ic, $"{point.ProducerLabel} white-box iteration ({n} images): planned {SplitBudgetPlanner.WhiteBoxIterationSeconds(analysis, point, n) * 1000:F1} ms, measured {measured * 1000:F1} ms"));
                var (z, zDims) = f1.RunAll(x, Dims(count));
                var (g, _) = InverseNetwork.Build(point.Shape, shape, new Random(1));
                var names = InverseNetwork.ParameterNames(g);
                var parameters = names.ToDictionary(nm => nm, nm => TensorData.ToFloats(g.FindInitializer(nm)!), StringComparer.Ordinal);
                var adams = names.ToDictionary(nm => nm, nm => new Adam(parameters[nm].Length, 1e-3), StringComparer.Ordinal);
                using var session = GradientSessions.Create(g, new GradientRequest(new SquaredErrorLoss(InverseNetwork.Output), names, ParametersAsInputs: true), runtime);
                var m = Median(() =>
                {
                    var r = session.Run(z, [count, .. zDims], default, x, parameters);
                    foreach (var nm in names) adams[nm].Step(parameters[nm], r.Gradient(nm));
                });
                Console.WriteLine(string.Create(ic, $"{point.ProducerLabel} decoder step (batch {count}): planned {SplitBudgetPlanner.DecoderStepSeconds(point, shape, count) * 1000:F1} ms, measured {m * 1000:F1} ms"));
            }
            if (y is null) continue;
            var shadow = model.Clone("shadow");
            var trainable = ParameterInit.Trainable(shadow.Graph, shadow.Graph.Node.Where(nd => halves.Prefix.Graph.Node.Any(q => q.Output.SequenceEqual(nd.Output))));
            if (trainable.Count == 0) continue;
            var sp = trainable.ToDictionary(t => t.Name, t => TensorData.ToFloats(shadow.FindInitializer(t.Name)!), StringComparer.Ordinal);
            var sa = sp.Keys.ToDictionary(k => k, k => new Adam(sp[k].Length, 1e-3), StringComparer.Ordinal);
            using var ss = GradientSessions.Create(shadow, new GradientRequest(new SoftmaxCrossEntropyLoss(), [.. sp.Keys], ParametersAsInputs: true), runtime);
            var ms = Median(() =>
            {
                var r = ss.Run(x, Dims(count), y, default, sp);
                foreach (var k in sp.Keys) sa[k].Step(sp[k], r.Gradient(k));
            });
            Console.WriteLine(string.Create(ic, $"{point.ProducerLabel} shadow step (batch {count}): planned {SplitBudgetPlanner.ShadowStepSeconds(analysis, point, count) * 1000:F1} ms, measured {ms * 1000:F1} ms"));
        }
    }
}
