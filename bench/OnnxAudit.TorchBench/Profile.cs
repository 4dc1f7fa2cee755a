using System.Globalization;
using System.Text.Json;
using Microsoft.ML.OnnxRuntime;
using OnnxAudit.Autodiff;
using OnnxAudit.Onnx;

namespace OnnxAudit.TorchBench;

/// <summary>
/// usage: profile &lt;model.onnx&gt; &lt;batch&gt; &lt;runs&gt; [legacy]: ONNX Runtime's profiler on our cross-entropy gradient graph
/// (1 thread, all optimisations); prints per-op-type and top per-node minimum times (µs) over the runs.
/// </summary>
internal static class Profile
{
    public static void Run(OnnxModel model, float[] x, long[] dims, long[] labels, int runs, bool legacy)
    {
        GradientGraphVariants.Legacy = legacy;
        OnnxModel g;
        try
        {
            g = GradientGraphBuilder.Build(model, new GradientRequest(new SoftmaxCrossEntropyLoss(), FederatedGradient.FloatInitializers(model)));
        }
        finally
        {
            GradientGraphVariants.Legacy = false;
        }
        using var xi = OrtValue.CreateTensorValueFromMemory(x, dims);
        using var li = OrtValue.CreateTensorValueFromMemory(labels, [labels.Length]);
        var data = g.Graph.Input.Select(i => i.Name).First(k => k != GradientNames.Labels);
        Graph(g, new Dictionary<string, OrtValue> { [data] = xi, [GradientNames.Labels] = li }, runs);
    }

    /// <summary>Profiles any graph <paramref name="g"/> fed with <paramref name="inputs"/> (1 thread, all optimisations).</summary>
    public static void Graph(OnnxModel g, Dictionary<string, OrtValue> inputs, int runs)
    {
        var path = Path.Combine(Path.GetTempPath(), $"onnxaudit-profile-{Environment.ProcessId}.onnx");
        File.WriteAllBytes(path, g.ToBytes());
        using var so = new SessionOptions { IntraOpNumThreads = 1, InterOpNumThreads = 1, GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
        so.EnableProfiling = true;
        so.ProfileOutputPathPrefix = Path.Combine(Path.GetTempPath(), "onnxaudit-prof");
        using var s = new InferenceSession(path, so);
        using var ro = new RunOptions();
        for (var i = 0; i < runs; i++)
        {
            using var outs = s.Run(ro, inputs, s.OutputNames);
        }
        var file = s.EndProfiling();
        var perNode = new Dictionary<string, (string Op, List<double> Us)>(StringComparer.Ordinal);
        using (var doc = JsonDocument.Parse(File.ReadAllText(file)))
        {
            foreach (var ev in doc.RootElement.EnumerateArray())
            {
                if (ev.GetProperty("cat").GetString() != "Node" || !ev.GetProperty("name").GetString()!.EndsWith("_kernel_time", StringComparison.Ordinal)) continue;
                var name = ev.GetProperty("name").GetString()!;
                var op = ev.GetProperty("args").GetProperty("op_name").GetString()!;
                if (!perNode.TryGetValue(name, out var e)) perNode[name] = e = (op, []);
                e.Us.Add(ev.GetProperty("dur").GetDouble());
            }
        }
        File.Delete(file);
        File.Delete(path);
        var mins = perNode.Select(kv => (Name: kv.Key, kv.Value.Op, Us: kv.Value.Us.Min())).ToList();
        var total = mins.Sum(m => m.Us);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"total (sum of per-node minima) {total / 1000:F2} ms over {mins.Count} nodes"));
        foreach (var grp in mins.GroupBy(m => m.Op).OrderByDescending(gr => gr.Sum(m => m.Us)).Take(12))
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {grp.Key,-22} {grp.Sum(m => m.Us) / 1000,8:F2} ms {100 * grp.Sum(m => m.Us) / total,5:F1} % ({grp.Count()} nodes)"));
        var producer = new Dictionary<string, global::Onnx.NodeProto>(StringComparer.Ordinal);
        var byName = new Dictionary<string, global::Onnx.NodeProto>(StringComparer.Ordinal);
        foreach (var n in g.Graph.Node)
        {
            foreach (var o in n.Output) producer[o] = n;
            byName[n.Name] = n;
        }
        string Describe(string kernel)
        {
            var nm = kernel[..^"_kernel_time".Length];
            if (!byName.TryGetValue(nm, out var n)) return nm;
            var ins = string.Join(", ", n.Input.Select(i => producer.TryGetValue(i, out var p) ? p.OpType : "init/input"));
            var atts = string.Join(" ", n.Attribute.Select(a => a.Name + "=" + (a.Ints.Count > 0 ? string.Join(",", a.Ints) : a.I.ToString(CultureInfo.InvariantCulture))));
            return $"{nm} ({ins}) {atts}";
        }
        foreach (var m in mins.OrderByDescending(m => m.Us).Take(int.Parse(Environment.GetEnvironmentVariable("TOP") ?? "15", CultureInfo.InvariantCulture)))
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"    {m.Us / 1000,8:F3} ms {m.Op,-16} {Describe(m.Name)}"));
    }
}
