using System.Globalization;
using OnnxAudit.Audits.Exclusivity;
using OnnxAudit.Audits.Federated;
using OnnxAudit.Audits.GradientAttack;
using OnnxAudit.Autodiff;
using OnnxAudit.Data;
using OnnxAudit.Onnx;
using OnnxAudit.Progress;
using OnnxAudit.Runtime;

namespace OnnxAudit.Bench;

/// <summary>
/// usage: OnnxAudit.Bench federated-numbers &lt;repo root&gt; [threads] [all|fcn|resnet|dp] [resnet iterations] [resnet restarts] [resnet TV weight]
/// The issue-12 acceptance numbers at the default budgets: fcn-512 M = 8 on insecure batches (analytic vs Inverting vs DLG),
/// resnet18_w16_32 M = 1 (Inverting PSNR, iDLG label accuracy), lenet5 DP-SGD sweep (σ = 0, 1e-4 … 0.03, 0.1, 0.5, 1.0 and the noise floor).
/// </summary>
internal static class FederatedNumbers
{
    public static void Run(string[] args)
    {
        var root = args[0];
        var rt = new RuntimeOptions(IntraOpThreads: args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 2);
        var ic = CultureInfo.InvariantCulture;
        var ds = DatasetLoader.Load(Path.Combine(root, "samples", "fashion-mnist-test-2000-images-idx3-ubyte.gz"));
        var only = args.Length > 2 ? args[2] : "all";

        if (only is "all" or "fcn")
        {
            var fcn = OnnxModel.Load(Path.Combine(root, "models", "fcn-512.onnx"));
            var layers = FcnHead.Extract(fcn).Layers.Where(l => l.ReluOutput is not null).Select((l, i) => new HeadReluLayer(i + 1, l.ReluOutput!, l.Out)).ToList();
            var sim = GradientAttackSimulation.Run(fcn, ds.Pixels.ToArray(), [ds.N, ds.C, ds.H, ds.W], [.. ds.Labels!.Select(v => (int)v)], layers,
                AttackSimulationOptions.Default with { BatchSize = 8, InsecureBatches = 2, RandomBatches = 0, Seed = 11 }, NullProgress.Instance);
            using var inv = new GradientInversion(fcn, InvertingOptions.Default, DlgOptions.Default, rt);
            var ip = new List<double>(); var dp = new List<double>(); var la = new List<double>();
            foreach (var b in sim.Batches)
            {
                var (x, dims, y) = ds.Batch(b.DatasetIndices);
                var obs = FederatedGradient.ComputeFor(fcn, x, dims, y!, rt, inv.Parameters).Parameters.Select(p => p.Values).ToList();
                var lab = LabelInference.Infer(FcnHead.Extract(fcn).Layers[^1], inv.Parameters.Zip(obs).ToDictionary(t => t.First, t => t.Second), 8);
                ip.Add(ReconstructionScore.Compute(x, inv.RunInverting(obs, lab.Labels).Images, y!, lab.Labels, dims[1..]).MeanPsnr);
                dp.Add(ReconstructionScore.Compute(x, inv.RunDlg(obs, lab.Labels).Images, y!, lab.Labels, dims[1..]).MeanPsnr);
                la.Add(LabelInference.MultisetAccuracy(y!, lab.Labels));
            }
            Console.WriteLine(string.Create(ic, $"fcn-512 M=8 insecure x{sim.Batches.Count}: analytic {sim.Insecure.MeanPsnr:F2} dB, Inverting {ip.Average():F2} dB, DLG {dp.Average():F2} dB, LLG labels {la.Average():P0} ({InvertingOptions.Default.Describe()}; {DlgOptions.Default.Describe()})"));
        }
        if (only is "all" or "resnet")
        {
            var res = OnnxModel.Load(Path.Combine(root, "tests", "reference", "second_order", "resnet18_w16_32.onnx"));
            var head = FcnHead.Extract(res);
            // args[3], args[4]: iterations and restarts (default 600 × 1); args[5]: TV weight (default 0.01)
            var opts = new InvertingOptions(Iterations: args.Length > 3 ? int.Parse(args[3], ic) : 600, Restarts: args.Length > 4 ? int.Parse(args[4], ic) : 1,
                TvWeight: args.Length > 5 ? double.Parse(args[5], ic) : 1e-2);
            var swr = System.Diagnostics.Stopwatch.StartNew();
            using var inv = new GradientInversion(res, opts, null, rt);
            var hits = 0; var total = 0; var ps = new List<double>();
            foreach (var i in Enumerable.Range(0, 20).Select(k => 3 + 97 * k))
            {
                var (g, _, yy) = ds.Batch([i]);
                var x = new float[3 * 32 * 32];
                for (var c = 0; c < 3; c++) for (var h = 0; h < 28; h++) for (var w = 0; w < 28; w++) x[(c * 32 + h + 2) * 32 + w + 2] = g[h * 28 + w] * (0.5f + 0.2f * c);
                long[] dims = [1, 3, 32, 32];
                var obs = FederatedGradient.ComputeFor(res, x, dims, yy!, rt, inv.Parameters).Parameters.Select(p => p.Values).ToList();
                var lab = LabelInference.Infer(head.Layers[^1], inv.Parameters.Zip(obs).ToDictionary(t => t.First, t => t.Second), 1);
                total++; if (lab.Labels[0] == yy![0]) hits++;
                if (ps.Count < 3) ps.Add(ReconstructionScore.Compute(x, inv.RunInverting(obs, lab.Labels).Images, yy, lab.Labels, dims[1..]).MeanPsnr);
            }
            Console.WriteLine(string.Create(ic, $"resnet18_w16_32 M=1: Inverting ({opts.Iterations} it x {opts.Restarts}, TV {opts.TvWeight:G3}, {swr.Elapsed.TotalSeconds:F0} s) mean PSNR {ps.Average():F2} dB over 3 samples [{string.Join(", ", ps.Select(p => p.ToString("F2", ic)))}], iDLG labels {hits}/{total}"));
        }
        if (only is "all" or "dp")
        {
            // the DP-SGD sweep of bench/README.md: lenet5, M = 1, 6 victims × 2 noise × 2 restart seeds, 300 iterations, with the floor
            DpSgdSweepBench.Run([root, rt.IntraOpThreads.ToString(ic), "300", "1", "6", "2", "2", "0,0.0001,0.0003,0.001,0.003,0.01,0.03,0.1,0.5,1"]);
        }
    }
}
