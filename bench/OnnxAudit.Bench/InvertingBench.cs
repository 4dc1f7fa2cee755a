using System.Globalization;
using OnnxAudit.Audits.Federated;
using OnnxAudit.Autodiff;
using OnnxAudit.Onnx;
using OnnxAudit.Runtime;

namespace OnnxAudit.Bench;

/// <summary>
/// usage: OnnxAudit.Bench inverting &lt;model.onnx&gt; &lt;iterations&gt; &lt;threads&gt;
/// Times the Inverting Gradients loop (cosine + TV second-order graph, signed Adam, clamp) on one victim sample
/// (seeded uniform pixels, label 1) after a 3-iteration warm-up; prints "ours &lt;model&gt; &lt;ms per iteration&gt; &lt;build s&gt;".
/// </summary>
internal static class InvertingBench
{
    public static void Run(string[] args)
    {
        var model = OnnxModel.Load(args[0]);
        var iterations = int.Parse(args[1], CultureInfo.InvariantCulture);
        var threads = int.Parse(args[2], CultureInfo.InvariantCulture);
        var rt = new RuntimeOptions(IntraOpThreads: threads);
        var vi = model.Graph.Input.First(v => model.FindInitializer(v.Name) is null);
        long[] dims = [1, .. vi.Type.TensorType.Shape.Dim.Skip(1).Select(d => d.DimValue)];
        var n = (int)dims.Aggregate(1L, (a, b) => a * b);
        var rng = new Random(1);
        var x = Enumerable.Range(0, n).Select(_ => (float)rng.NextDouble()).ToArray();
        var sw = System.Diagnostics.Stopwatch.StartNew();
        using var inv = new GradientInversion(model, new InvertingOptions(Iterations: 3, Restarts: 1), null, rt);
        var build = sw.Elapsed.TotalSeconds;
        var observed = FederatedGradient.ComputeFor(model, x, dims, [1], rt, inv.Parameters).Parameters.Select(p => p.Values).ToList();
        inv.RunInverting(observed, [1]);
        using var timed = new GradientInversion(model, new InvertingOptions(Iterations: iterations, Restarts: 1), null, rt);
        var r = timed.RunInverting(observed, [1]);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"ours {Path.GetFileNameWithoutExtension(args[0])} {r.Seconds * 1000 / r.Evaluations:F2} {build:F2}"));
    }
}
