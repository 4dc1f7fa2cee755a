using System.Globalization;
using OnnxAudit.Audits.Exclusivity;
using OnnxAudit.Audits.GradientAttack;
using OnnxAudit.Audits.Federated;
using OnnxAudit.Autodiff;
using OnnxAudit.Data;
using OnnxAudit.Onnx;
using OnnxAudit.Runtime;

namespace OnnxAudit.Bench;

/// <summary>
/// usage: OnnxAudit.Bench dpsgd-sweep &lt;repo root&gt; THREADS ITERATIONS M BATCHES|i,j,… NOISE_SEEDS RESTART_SEEDS [σ,σ,…] [model] [TV weight]
/// The DP-SGD (C = 1) sweep of the Inverting attack on lenet5 at batch size M: for each of SAMPLES disjoint victim batches
/// (dataset indices 3 + 97·k…), NOISE_SEEDS noise draws and RESTART_SEEDS Inverting start seeds, the PSNR at every σ and
/// at the noise floor (the defence applied to a zero gradient: the attack's target is the noise alone). Prints one row per σ:
/// mean PSNR, the standard deviation over (noise seed, restart seed) within a batch averaged over batches (the jitter),
/// mean cos(g̃, g), and σ·C·√P / ‖Σ clip(g_m)‖ (the noise-to-signal norm ratio).
/// </summary>
internal static class DpSgdSweepBench
{
    public static void Run(string[] args)
    {
        var ic = CultureInfo.InvariantCulture;
        var root = args[0];
        var rt = new RuntimeOptions(IntraOpThreads: int.Parse(args[1], ic));
        var iterations = int.Parse(args[2], ic);
        var m = int.Parse(args[3], ic);
        int[]? explicitIdx = args[4].Contains(',', StringComparison.Ordinal) ? [.. args[4].Split(',').Select(v => int.Parse(v, ic))] : null;
        var samples = explicitIdx is null ? int.Parse(args[4], ic) : explicitIdx.Length / m;
        var noiseSeeds = int.Parse(args[5], ic);
        var restartSeeds = int.Parse(args[6], ic);
        double[] sigmas = args.Length > 7 ? [.. args[7].Split(',').Select(s => double.Parse(s, ic))] : [0, 0.001, 0.003, 0.01, 0.03, 0.1, 0.5, 1.0];
        var model = OnnxModel.Load(Path.Combine(root, args.Length > 8 ? args[8] : "models/lenet5.onnx"));
        var tv = args.Length > 9 ? double.Parse(args[9], ic) : 1e-2;
        var ds = DatasetLoader.Load(Path.Combine(root, "samples", "fashion-mnist-test-2000-images-idx3-ubyte.gz"));
        var head = FcnHead.Extract(model).Layers[^1];
        var names = FederatedGradient.TrainableParameters(model);
        var p = 0L;
        using var first = GradientSessions.Create(model, new GradientRequest(new SoftmaxCrossEntropyLoss(), names), rt);
        var rows = sigmas.Length + 1; // last = floor
        var psnr = new double[rows, samples, noiseSeeds * restartSeeds];
        var cos = new double[rows];
        var ratio = new double[rows];
        var labelAcc = new double[rows];
        var sw = System.Diagnostics.Stopwatch.StartNew();
        for (var k = 0; k < samples; k++)
        {
            int[] idx = [.. Enumerable.Range(0, m).Select(j => explicitIdx is null ? (3 + 97 * (k * m + j)) % ds.N : explicitIdx[k * m + j])];
            var (x, dims, y) = ds.Batch(idx);
            IReadOnlyList<float[]> Grad(float[] xx, long[] dd, long[] yy) { var r = first.Run(xx, dd, yy); return [.. names.Select(n => r.Gradient(n).ToArray())]; }
            var clean = Grad(x, dims, y!);
            p = clean.Sum(a => (long)a.Length);
            var per = idx.Select(i => { var (xi, di, yi) = ds.Batch([i]); return Grad(xi, di, yi!); }).ToList();
            var norms = per.Select(g => Math.Sqrt(g.Sum(a => a.Sum(v => (double)v * v)))).ToList();
            var clippedSum = new double[p];
            foreach (var (g, nrm) in per.Zip(norms)) { var f = Math.Min(1, 1 / nrm); var o = 0; foreach (var a in g) foreach (var v in a) clippedSum[o++] += f * v; }
            var sumNorm = Math.Sqrt(clippedSum.Sum(v => v * v));
            Console.WriteLine(string.Create(ic, $"batch {k} [{string.Join(",", idx)}]: per-sample ‖g‖ {string.Join(", ", norms.Select(v => v.ToString("F3", ic)))}, ‖Σ clip g‖ {sumNorm:F3}, P {p}"));
            var zero = per.Select(g => (IReadOnlyList<float[]>)[.. g.Select(a => new float[a.Length])]).ToList();
            for (var r = 0; r < rows; r++)
            {
                var floor = r == sigmas.Length;
                var sigma = floor ? 1.0 : sigmas[r];
                for (var ns = 0; ns < noiseSeeds; ns++)
                    for (var rs = 0; rs < restartSeeds; rs++)
                    {
                        var shared = GradientDefences.Apply(new DpSgdDefence(1.0, sigma, 5 + 13 * ns + 1000 * k), clean, floor ? zero : per);
                        if (rs == 0) { cos[r] += GradientDefences.Cosine(clean, shared) / (samples * noiseSeeds); ratio[r] += sigma * Math.Sqrt(p) / sumNorm / (samples * noiseSeeds); }
                        var lab = LabelInference.Infer(head, names.Zip(shared).ToDictionary(t => t.First, t => t.Second), m);
                        using var inv = new GradientInversion(model, new InvertingOptions(Iterations: iterations, Restarts: 1, TvWeight: tv, Seed: rs), null, rt, names);
                        var rec = inv.RunInverting(shared, lab.Labels);
                        var sc = ReconstructionScore.Compute(x, rec.Images, y!, lab.Labels, dims[1..]);
                        psnr[r, k, ns * restartSeeds + rs] = sc.MeanPsnr;
                        labelAcc[r] += sc.LabelAccuracy / (samples * noiseSeeds * restartSeeds);
                    }
                var vals = Enumerable.Range(0, noiseSeeds * restartSeeds).Select(j => psnr[r, k, j].ToString("F2", ic));
                Console.WriteLine(string.Create(ic, $"  {(floor ? "floor" : "σ=" + sigma.ToString("G3", ic))}: {string.Join(" ", vals)}  ({sw.Elapsed.TotalSeconds:F0} s)"));
            }
        }
        Console.WriteLine(string.Create(ic, $"lenet5 M={m} C=1, Inverting {iterations} it x 1, TV {tv:G3}, {samples} batches x {noiseSeeds} noise x {restartSeeds} restart seeds, P={p}"));
        Console.WriteLine("row | mean PSNR | jitter (mean within-batch std) | sem of mean | std of the batch-mean over seeds | cos | noise/signal | labels");
        for (var r = 0; r < rows; r++)
        {
            var all = new List<double>();
            double jit = 0;
            for (var k = 0; k < samples; k++)
            {
                var v = Enumerable.Range(0, noiseSeeds * restartSeeds).Select(j => psnr[r, k, j]).ToList();
                all.AddRange(v);
                var mu = v.Average();
                jit += (v.Count > 1 ? Math.Sqrt(v.Sum(t => (t - mu) * (t - mu)) / (v.Count - 1)) : 0) / samples;
            }
            var mean = all.Average();
            var sd = Math.Sqrt(all.Sum(t => (t - mean) * (t - mean)) / Math.Max(1, all.Count - 1));
            var bm = Enumerable.Range(0, noiseSeeds * restartSeeds).Select(j => Enumerable.Range(0, samples).Average(k => psnr[r, k, j])).ToList();
            var bmm = bm.Average();
            var bsd = bm.Count > 1 ? Math.Sqrt(bm.Sum(t => (t - bmm) * (t - bmm)) / (bm.Count - 1)) : 0;
            Console.WriteLine(string.Create(ic, $"{(r == sigmas.Length ? "floor" : "σ=" + sigmas[r].ToString("G3", ic)),-8} | {mean,6:F2} | {jit:F2} | {sd / Math.Sqrt(all.Count):F2} | {bsd:F2} (max−min {bm.Max() - bm.Min():F2}) | {cos[r]:F4} | {ratio[r]:G3} | {labelAcc[r]:P0}"));
        }
    }
}
