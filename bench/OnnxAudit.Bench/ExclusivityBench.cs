using System.Diagnostics;
using System.Globalization;
using OnnxAudit.Audits.Exclusivity;
using OnnxAudit.Audits.GradientAttack;
using OnnxAudit.Data;
using OnnxAudit.Graph;
using OnnxAudit.Onnx;
using OnnxAudit.Progress;

namespace OnnxAudit.Bench;

/// <summary>
/// Verb "exclusivity": OnnxAudit.Bench exclusivity &lt;model.onnx&gt; &lt;images-idx3.gz&gt; [batches] [attack|harden]
/// Times the exclusivity audit end to end (model load, data load, forward pass, 1000 batches at M = 8) and prints
/// one line "ours &lt;model&gt; seconds insecure/total"; "attack" also runs the attack simulation, "harden" the hardening check.
/// </summary>
internal static class ExclusivityBench
{
    public static void Run(string[] args)
    {
        var sw = Stopwatch.StartNew();
        var model = OnnxModel.Load(args[0]);
        var ds = DatasetLoader.LoadIdx(args[1]);
        var batches = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 1000;
        var head = GraphAnalyzer.Analyze(model).Head ?? throw new InvalidOperationException("no classifier head");
        var layers = HeadReluLayers.From(head);
        var x = ds.Pixels.ToArray();
        long[] dims = [ds.N, ds.C, ds.H, ds.W];
        var labels = ds.Labels!.Select(v => (int)v).ToArray();
        var r = ExclusivityAuditor.Run(model, x, dims, labels, layers, ExclusivityOptions.Default with { Batches = batches }, NullProgress.Instance);
        var secs = sw.Elapsed.TotalSeconds;
        var name = Path.GetFileNameWithoutExtension(args[0]);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"ours {name} {secs:F3} {r.Main.Insecure.Count}/{r.Main.Insecure.Total}"));
        if (args.Length <= 3) return;
        var ic = CultureInfo.InvariantCulture;
        Console.WriteLine(string.Create(ic, $"M=8 insecure {P(r.Main.Insecure)} secure {P(r.Main.Secure)} undetermined {P(r.Main.Undetermined)}"));
        foreach (var l in r.Main.Layers)
            Console.WriteLine(string.Create(ic, $"layer {l.Layer} d={l.Width}: mean N {l.Mean:F2} Q {l.Q1}/{l.Median}/{l.Q3} share 0/1/>=2 {l.ShareZero:F3}/{l.ShareOne:F3}/{l.ShareTwoOrMore:F3} active {l.MeanActiveFraction:F3}"));
        Console.WriteLine("sweep: " + string.Join(" ", r.Sweep.Select(p => string.Create(ic, $"M{p.BatchSize}={p.Insecure.Proportion:F3}"))) + $" largest M with >=5%: {r.LargestInsecureBatchSize}");
        if (r.SameClass is { } sc) Console.WriteLine(string.Create(ic, $"same-class M=8 insecure {P(sc.Insecure)}"));
        if (args[3] == "attack")
        {
            var m = args.Length > 4 ? int.Parse(args[4], ic) : 8;
            var a = GradientAttackSimulation.Run(model, x, dims, labels, layers, AttackSimulationOptions.Default with { BatchSize = m, InsecureBatches = args.Length > 5 ? int.Parse(args[5], ic) : 4 }, NullProgress.Instance);
            Console.WriteLine(string.Create(ic, $"attack M={m} [{a.Stage}] insecure: {a.Insecure.Batches} batches, size exact {a.Insecure.BatchSizeExact}, label acc {a.Insecure.LabelAccuracy:F3}, PSNR {a.Insecure.MeanPsnr:F1}, SSIM {a.Insecure.MeanSsim:F4}, recovered {a.Insecure.RecoveredShare:F3}"));
            Console.WriteLine(string.Create(ic, $"attack M={m} random: {a.Random.Batches} batches, size exact {a.Random.BatchSizeExact}, label acc {a.Random.LabelAccuracy:F3}, PSNR {a.Random.MeanPsnr:F1}, recovered {a.Random.RecoveredShare:F3}"));
            foreach (var b in a.Batches.Where(b => b.Explanation is not null).Take(2)) Console.WriteLine("  " + b.Explanation);
            if (Environment.GetEnvironmentVariable("EXCL_DEBUG") == "1") Debug(model, x, dims, labels, a);
        }
        if (args[3] == "harden")
        {
            var hard = ExclusivityHardening.RemoveFirstHeadRelu(model, layers[0].OutputName);
            var hl = ExclusivityHardening.HardenedLayers(model, layers);
            var d1 = layers[0].Width;
            var hs = ExclusivityAuditor.Run(hard, x, dims, labels, hl, ExclusivityOptions.Default with { BatchSize = d1 + 1, Batches = 200, SweepSizes = [] }, NullProgress.Instance);
            Console.WriteLine(string.Create(ic, $"hardened: M={d1 + 1} secure {P(hs.Main.Secure)}"));
            var a = GradientAttackSimulation.Run(hard, x, dims, labels, hl, AttackSimulationOptions.Default with { InsecureBatches = 0, RandomBatches = 4 }, NullProgress.Instance);
            Console.WriteLine(string.Create(ic, $"hardened attack M=8: inferred sizes {string.Join(",", a.Batches.Select(b => b.InferredBatchSize))}, recovered {a.Random.RecoveredShare:F3}, PSNR {a.Random.MeanPsnr:F1}"));
            Console.WriteLine(string.Create(ic, $"accuracy original {Accuracy(model, x, dims, labels):F4} hardened (no retraining) {Accuracy(hard, x, dims, labels):F4}"));
        }
    }

    private static void Debug(OnnxModel model, float[] x, long[] dims, int[] labels, AttackSimulationResult a)
    {
        var ic = CultureInfo.InvariantCulture;
        var logits = Logits(model, x, dims);
        foreach (var b in a.Batches)
        {
            Console.WriteLine(string.Create(ic, $"batch [{string.Join(",", b.DatasetIndices)}] {b.State} inferred {b.InferredBatchSize} acc {b.LabelAccuracy:F2}"));
            for (var i = 0; i < b.ExanCounts.Length; i++) Console.WriteLine($"   N_{i + 1}: {string.Join(",", b.ExanCounts[i])}");
            foreach (var s in b.Samples)
            {
                var row = logits.AsSpan(s.DatasetIndex * 10, 10).ToArray();
                var mx = row.Max();
                var e = row.Select(v => Math.Exp(v - mx)).ToArray();
                var z = e.Sum();
                var g = e.Select((v, c) => v / z - (c == s.TrueLabel ? 1 : 0)).ToArray();
                Console.WriteLine(string.Create(ic, $"   sample {s.DatasetIndex} y={s.TrueLabel} rec={s.RecoveredLabel} psnr={s.Psnr:F1} |g|={Math.Sqrt(g.Sum(v => v * v)):E2} g=[{string.Join(" ", g.Select(v => v.ToString("E1", ic)))}]"));
            }
            foreach (var n in b.Notes) Console.WriteLine("   note: " + n);
        }
    }

    private static float[] Logits(OnnxModel model, float[] x, long[] dims)
    {
        using var session = Runtime.SessionFactory.Create(model.ToBytes(), Runtime.RuntimeOptions.Default, model.Origin);
        var name = session.InputMetadata.Keys.First();
        using var input = Microsoft.ML.OnnxRuntime.OrtValue.CreateTensorValueFromMemory(x, dims);
        using var ro = new Microsoft.ML.OnnxRuntime.RunOptions();
        using var outs = session.Run(ro, [name], [input], [session.OutputMetadata.Keys.First()]);
        return outs[0].GetTensorDataAsSpan<float>().ToArray();
    }

    private static string P(ProportionEstimate p) => string.Create(CultureInfo.InvariantCulture, $"{p.Proportion:F3} [{p.Low:F3}, {p.High:F3}]");

    private static double Accuracy(OnnxModel model, float[] x, long[] dims, int[] labels)
    {
        using var session = Runtime.SessionFactory.Create(model.ToBytes(), Runtime.RuntimeOptions.Default, model.Origin);
        var name = session.InputMetadata.Keys.First();
        using var input = Microsoft.ML.OnnxRuntime.OrtValue.CreateTensorValueFromMemory(x, dims);
        using var ro = new Microsoft.ML.OnnxRuntime.RunOptions();
        using var outs = session.Run(ro, [name], [input], [session.OutputMetadata.Keys.First()]);
        var logits = outs[0].GetTensorDataAsSpan<float>();
        var k = logits.Length / labels.Length;
        var correct = 0;
        for (var i = 0; i < labels.Length; i++)
        {
            var row = logits.Slice(i * k, k);
            var best = 0;
            for (var c = 1; c < k; c++) if (row[c] > row[best]) best = c;
            if (best == labels[i]) correct++;
        }
        return correct / (double)labels.Length;
    }
}
