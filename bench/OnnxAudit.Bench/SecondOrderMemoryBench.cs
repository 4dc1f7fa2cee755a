using System.Diagnostics;
using System.Globalization;
using OnnxAudit.Audits.Federated;
using OnnxAudit.Autodiff;
using OnnxAudit.Onnx;
using OnnxAudit.Runtime;

namespace OnnxAudit.Bench;

/// <summary>
/// usage: OnnxAudit.Bench second-order-memory &lt;model.onnx&gt; &lt;batch&gt; [run: 0 = the estimate only]
/// Prints the federated planner's second-order memory and time estimates (SecondOrderCost) for batch M and, unless told not to,
/// builds the Inverting (cosine + TV) session, runs one evaluation on seeded uniform pixels and prints the measured
/// wall time and the process's peak RSS (VmHWM) after it. This is how SecondOrderCost's factors were chosen.
/// </summary>
internal static class SecondOrderMemoryBench
{
    public static void Run(string[] args)
    {
        var ic = CultureInfo.InvariantCulture;
        var model = OnnxModel.Load(args[0]);
        var m = int.Parse(args[1], ic);
        var run = args.Length < 3 || args[2] != "0";
        var analysis = StaticShapeSource.Analyze(model, new OnnxAudit.Graph.GraphAnalysisOptions { BatchSize = 1 }, RuntimeOptions.Default);
        var estimate = SecondOrderCost.MemoryBytes(analysis, m);
        Console.WriteLine(string.Create(ic, $"{Path.GetFileName(args[0])} M={m}: activations {SecondOrderCost.ActivationBytesPerSample(analysis) / 1048576.0:F0} MB per sample, parameters {analysis.ParameterCount:N0}, estimate {estimate / 1048576.0:F0} MB, forward {OnnxAudit.Audits.SplitInversion.SplitBudgetPlanner.Forward(analysis, Enumerable.Range(0, analysis.Layers.Count)):E3} units per image, estimated {SecondOrderCost.EvaluationSeconds(analysis, m):F1} s per evaluation; peak RSS before {Hwm() / 1024.0:F0} MB"));
        if (args.Length > 2 && args[2] == "shapes")
        {
            var matching = GradientMatchingGraphBuilder.Build(model, new GradientMatchingRequest(GradientDistance.Cosine, FederatedGradient.TrainableParameters(model), 1e-4));
            var g = matching.Graph;
            var opset = matching.Proto.OpsetImport.Where(o => o.Domain is "" or "ai.onnx").Max(o => o.Version);
            var shapes = ShapeInference.Infer(g, opset, new ConstantTable(g));
            var producer = g.Node.SelectMany(nd => nd.Output.Select(o => (o, nd))).GroupBy(t => t.o).ToDictionary(t => t.Key, t => t.First().nd);
            var sized = shapes.Where(kv => producer.ContainsKey(kv.Key)).Select(kv => (kv.Key, Elements: kv.Value.Aggregate(1L, (a, b) => a * Math.Abs(b)))).OrderByDescending(t => t.Elements).ToList();
            Console.WriteLine(string.Create(ic, $"{g.Node.Count} nodes, {shapes.Count} shapes, {g.Node.SelectMany(nd => nd.Output).Count(o => !shapes.ContainsKey(o))} outputs without a static shape; node-output MB (batch 1): {sized.Sum(t => t.Elements) * 4 / 1048576.0:F0}"));
            foreach (var t in sized.Take(40))
                Console.WriteLine(string.Create(ic, $"  {t.Elements * 4 / 1048576.0,8:F1} MB {producer[t.Key].OpType,-12} [{string.Join(",", shapes[t.Key])}] {t.Key}"));
            foreach (var grp in sized.GroupBy(t => producer[t.Key].OpType).Select(gr => (gr.Key, Mb: gr.Sum(t => t.Elements) * 4 / 1048576.0, N: gr.Count())).OrderByDescending(t => t.Mb).Take(15))
                Console.WriteLine(string.Create(ic, $"  op {grp.Key}: {grp.N} outputs, {grp.Mb:F0} MB"));
            return;
        }
        if (!run) return;
        var vi = model.Graph.Input.First(v => model.FindInitializer(v.Name) is null);
        long[] dims = [m, .. vi.Type.TensorType.Shape.Dim.Skip(1).Select(d => d.DimValue)];
        var n = (int)dims.Aggregate(1L, (a, b) => a * b);
        var rng = new Random(1);
        var x = Enumerable.Range(0, n).Select(_ => (float)rng.NextDouble()).ToArray();
        var labels = Enumerable.Range(0, m).Select(i => (long)(i % 2)).ToArray();
        var sw = Stopwatch.StartNew();
        using var inv = new GradientInversion(model, new InvertingOptions(Iterations: 1, Restarts: 1), null, RuntimeOptions.Default);
        var build = sw.Elapsed.TotalSeconds;
        Console.WriteLine(string.Create(ic, $"built in {build:F1} s; peak RSS {Hwm() / 1024.0:F0} MB"));
        var observed = FederatedGradient.ComputeFor(model, x, dims, labels, RuntimeOptions.Default, inv.Parameters).Parameters.Select(p => p.Values).ToList();
        var before = Hwm();
        Console.WriteLine(string.Create(ic, $"victim gradient done; peak RSS {before / 1024.0:F0} MB"));
        sw.Restart();
        var r = inv.RunInverting(observed, labels);
        Console.WriteLine(string.Create(ic, $"build {build:F1} s, {r.Evaluations} evaluations in {sw.Elapsed.TotalSeconds:F1} s; peak RSS {before / 1024.0:F0} MB before the attack, {Hwm() / 1024.0:F0} MB after (load {File.ReadAllText("/proc/loadavg").Split(' ')[0]})"));
    }

    private static long Hwm() => long.Parse(File.ReadAllLines("/proc/self/status").First(l => l.StartsWith("VmHWM:", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
}
