using OnnxAudit.Audits.Exclusivity;
using OnnxAudit.Audits.Federated;
using OnnxAudit.Audits.GradientAttack;
using OnnxAudit.Autodiff;
using OnnxAudit.Data;
using OnnxAudit.Onnx;
using OnnxAudit.Progress;
using OnnxAudit.Runtime;
using OnnxAudit.Tests.Audits.Exclusivity;
using OnnxAudit.Tests.TestUtil;

namespace OnnxAudit.Tests.Audits.Federated;

/// <summary>Issue 12 acceptance on small budgets: Table 2's ordering on fcn-512, iDLG on resnet18, the DP-SGD sweep on lenet5.</summary>
public class FederatedAttackTests(Xunit.Abstractions.ITestOutputHelper output)
{
    internal static readonly Lazy<Dataset> Samples = new(() => DatasetLoader.Load(Path.Combine(RepoPaths.Samples, "fashion-mnist-test-2000-images-idx3-ubyte.gz")));

    private static readonly RuntimeOptions Runtime = new(IntraOpThreads: 2);

    internal static (float[] X, long[] Dims, long[] Labels) Batch(int[] idx)
    {
        var ds = Samples.Value;
        var (x, dims, labels) = ds.Batch(idx);
        return (x, dims, labels!);
    }

    /// <summary>A 3×32×32 version of Fashion-MNIST samples (zero-padded by 2, channel c scaled by 0.5 + 0.2c) for resnet18@32.</summary>
    internal static (float[] X, long[] Dims, long[] Labels) ColourBatch(int[] idx)
    {
        var (g, _, labels) = Batch(idx);
        var x = new float[idx.Length * 3 * 32 * 32];
        for (var s = 0; s < idx.Length; s++)
            for (var c = 0; c < 3; c++)
                for (var h = 0; h < 28; h++)
                    for (var w = 0; w < 28; w++)
                        x[((s * 3 + c) * 32 + h + 2) * 32 + w + 2] = g[(s * 28 + h) * 28 + w] * (0.5f + 0.2f * c);
        return (x, [idx.Length, 3, 32, 32], labels);
    }

    internal static OnnxModel Resnet18() => OnnxModel.Load(Path.Combine(RepoPaths.Reference, "second_order", "resnet18_w16_32.onnx"));

    [Fact]
    public void Fcn512_InsecureBatchesOfEight_AnalyticAbove40dB_InvertingAndDlgStayBelowIt()
    {
        var model = OnnxModel.Load(RepoPaths.Model("fcn-512"));
        var ds = Samples.Value;
        var sim = GradientAttackSimulation.Run(model, ds.Pixels.ToArray(), [ds.N, ds.C, ds.H, ds.W], [.. ds.Labels!.Select(v => (int)v)],
            ExclusivityReferenceTests.Layers(model), AttackSimulationOptions.Default with { BatchSize = 8, InsecureBatches = 1, RandomBatches = 0, Seed = 11 },
            NullProgress.Instance);
        var batch = sim.Batches[0];
        Assert.Equal(ExclusivityState.Insecure, batch.State);
        var (x, dims, y) = Batch(batch.DatasetIndices);
        using var inv = new GradientInversion(model, InvertingOptions.Quick with { Iterations = 100 }, DlgOptions.Quick, Runtime);
        var observed = FederatedGradient.ComputeFor(model, x, dims, y, Runtime, inv.Parameters).Parameters.Select(p => p.Values).ToList();
        var labels = LabelInference.Infer(FcnHead.Extract(model).Layers[^1], inv.Parameters.Zip(observed).ToDictionary(t => t.First, t => t.Second), 8);
        var inverting = ReconstructionScore.Compute(x, inv.RunInverting(observed, labels.Labels).Images, y, labels.Labels, dims[1..]);
        var dlg = ReconstructionScore.Compute(x, inv.RunDlg(observed, labels.Labels).Images, y, labels.Labels, dims[1..]);
        output.WriteLine($"analytic {batch.MeanPsnr:F2} dB, Inverting {inverting.MeanPsnr:F2} dB, DLG {dlg.MeanPsnr:F2} dB, labels {labels.Method} {inverting.LabelAccuracy:P0}");
        Assert.True(batch.MeanPsnr >= 40, $"analytic {batch.MeanPsnr}");
        Assert.True(inverting.MeanPsnr < batch.MeanPsnr && dlg.MeanPsnr < batch.MeanPsnr);
        Assert.Equal(LabelMethod.ExclusiveColumnsThenMultiset, labels.Method);
    }

    [Fact]
    public void Resnet18_SingleSample_IdlgLabelIsRight_AndInvertingImprovesOnItsStart()
    {
        var model = Resnet18();
        using var inv = new GradientInversion(model, InvertingOptions.Quick with { Iterations = 40 }, null, Runtime);
        var head = FcnHead.Extract(model);
        Assert.Single(head.Layers);
        var start = new InvertingOptions(Iterations: 0, Restarts: 1);
        foreach (var i in new[] { 3, 141, 592 })
        {
            var (x, dims, y) = ColourBatch([i]);
            var observed = FederatedGradient.ComputeFor(model, x, dims, y, Runtime, inv.Parameters).Parameters.Select(p => p.Values).ToList();
            var labels = LabelInference.Infer(head.Layers[^1], inv.Parameters.Zip(observed).ToDictionary(t => t.First, t => t.Second), 1);
            Assert.Equal(LabelMethod.Idlg, labels.Method);
            Assert.Equal(y[0], labels.Labels[0]);
            if (i != 3) continue;
            var rec = inv.RunInverting(observed, labels.Labels);
            var psnr = ReconstructionScore.Compute(x, rec.Images, y, labels.Labels, dims[1..]).MeanPsnr;
            var noise = new float[x.Length];
            var rng = new Random(GradientInversion.StartSeed(0, 0, 7919));
            for (var k = 0; k < noise.Length; k++) noise[k] = (float)rng.NextDouble();
            var psnr0 = ReconstructionScore.Compute(x, noise, y, labels.Labels, dims[1..]).MeanPsnr;
            output.WriteLine($"resnet18@32 sample {i}: Inverting 40 it {psnr:F2} dB (start {psnr0:F2} dB), {rec.Seconds / rec.Evaluations * 1000:F0} ms/iteration");
            Assert.True(psnr > psnr0 + 2, $"Inverting {psnr} dB vs its random start {psnr0} dB");
        }
    }

    [Fact]
    public void Lenet5_DpSgdSweep_PsnrFallsStrictlyAcrossTheTransition_AndSitsAtTheNoiseFloorFromSigma01()
    {
        // why: seeds/001 §7.3 and Abadi et al. 2016: g̃ = (Σ_m clip_C(g_m) + N(0, σ²C²·I)) / M, C = 1. What the attack sees is set by
        // ρ = σC√P/‖Σ clip g‖ (DpSgdSweep); for these three victims (M = 1, ‖g‖ = 1.44, 5.21, 10.74 > C, so the signal is C = 1)
        // and P = 61,706 the tool's transition σ are 0.003, 0.01, 0.03, 0.1 (ρ = 0.75, 2.5, 7.5, 25), and the paper's 0.1/0.5/1.0
        // are ρ = 25/124/248. Paired design: per victim one noise draw (seed 5 + 1000k) scaled by σ, restart seed 0 for every σ,
        // labels read from each defended gradient as the attacker would; the floor is the same draw with no signal under it.
        // Jitter, measured with bench `dpsgd-sweep . 1 150 1 100,197,488 4 2` (this configuration, 4 noise × 2 restart seeds,
        // load ~13): standard deviation of the 3-victim mean PSNR over the 8 seed pairs, at most 1.05 dB on any row (σ = 0.01;
        // 0.45 at 0.003, 0.98 at 0.03, 0.42 / 0.32 / 0.28 at 0.1 / 0.5 / 1.0, 0.29 for the floor). The paired steps 0.003 → 0.01
        // and 0.01 → 0.03 were ≥ 1.80 and ≥ 1.99 dB for every seed pair (means 3.3 and 2.4 dB); σ − floor was at most 1.45 dB at
        // σ = 0.1, 0.43 at 0.5, 0.16 at 1.0.
        const double Jitter = 1.05, FloorMargin = 1.5;
        var model = OnnxModel.Load(RepoPaths.Model("lenet5"));
        using var inv = new GradientInversion(model, InvertingOptions.Quick with { Iterations = 150 }, null, Runtime);
        var head = FcnHead.Extract(model).Layers[^1];
        int[] victims = [100, 197, 488];
        double[] sigmas = [0.0, 0.003, 0.01, 0.03, 0.1, 0.5, 1.0];
        var psnr = new double[sigmas.Length + 1]; // last: the noise floor
        long parameters = 0;
        for (var k = 0; k < victims.Length; k++)
        {
            var (x, dims, y) = Batch([victims[k]]);
            var clean = FederatedGradient.ComputeFor(model, x, dims, y, Runtime, inv.Parameters).Parameters.Select(p => p.Values).ToList();
            parameters = clean.Sum(a => (long)a.Length);
            Assert.True(Math.Sqrt(clean.Sum(a => a.Sum(v => (double)v * v))) > 1, $"victim {victims[k]} is not clipped");
            for (var j = 0; j <= sigmas.Length; j++)
            {
                var dp = new DpSgdDefence(1.0, j < sigmas.Length ? sigmas[j] : 1.0, Seed: 5 + 1000 * k);
                var shared = j < sigmas.Length ? GradientDefences.Apply(dp, clean, [clean]) : GradientDefences.NoiseOnly(dp, clean, 1);
                var labels = LabelInference.Infer(head, inv.Parameters.Zip(shared).ToDictionary(t => t.First, t => t.Second), 1);
                psnr[j] += ReconstructionScore.Compute(x, inv.RunInverting(shared, labels.Labels).Images, y, labels.Labels, dims[1..]).MeanPsnr / victims.Length;
            }
        }
        var ic = System.Globalization.CultureInfo.InvariantCulture;
        output.WriteLine("lenet5 DP-SGD σ = " + string.Join(", ", sigmas.Select(v => v.ToString(ic))) + ", floor: mean PSNR " + string.Join(", ", psnr.Select(p => p.ToString("F2", ic))) + " dB");
        Assert.Equal([0.003, 0.01, 0.03, 0.1], DpSgdSweep.TransitionSigmas(1.0, parameters, 1.0));
        var floor = psnr[^1];
        Assert.True(psnr[0] >= floor + 5, $"without noise the attack should be well above the floor ({psnr[0]} vs {floor} dB)");
        // the transition (ρ = 0.75 → 2.5 → 7.5): strictly falling, every step larger than the jitter
        for (var j = 2; j <= 3; j++)
            Assert.True(psnr[j] < psnr[j - 1] - Jitter, $"σ = {sigmas[j]}: {psnr[j]} dB is not {Jitter} dB below σ = {sigmas[j - 1]} ({psnr[j - 1]} dB)");
        // ρ ≥ 25: at the floor within the margin, and never above the previous σ by more than the jitter
        for (var j = 4; j < sigmas.Length; j++)
        {
            Assert.True(psnr[j] <= floor + FloorMargin, $"σ = {sigmas[j]}: {psnr[j]} dB is more than {FloorMargin} dB above the floor {floor} dB");
            Assert.True(psnr[j] <= psnr[j - 1] + Jitter, $"σ = {sigmas[j]}: {psnr[j]} dB rose above σ = {sigmas[j - 1]} ({psnr[j - 1]} dB) by more than {Jitter} dB");
        }
        // the σ from which the report says the floor is reached (every row within DpSgdSweep.FloorMarginDb = 1 dB of it) lies in the
        // transition: after 0.003 (ρ = 0.75, still within 1 dB of the undefended attack) and no later than 0.1 (ρ = 25)
        var at = DpSgdSweep.FloorReachedAt([.. sigmas.Skip(1).Zip(psnr.Skip(1).Take(sigmas.Length - 1))], floor);
        Assert.True(at is 0.01 or 0.03 or 0.1, $"floor reached at σ = {at}");
    }

    [Fact]
    public void DpSgdSweep_TransitionSigmas_Merge_AndFloorReachedAt()
    {
        // ρ = σ√P/S in [0.3, 30): S = 1, √P = 100 → σ in [0.003, 0.3) → 0.003, 0.01, 0.03, 0.1 (0.3 excluded)
        Assert.Equal([0.003, 0.01, 0.03, 0.1], DpSgdSweep.TransitionSigmas(1.0, 10_000, 1.0));
        Assert.Equal([0.01, 0.03, 0.1, 0.3], DpSgdSweep.TransitionSigmas(2.0, 10_000, 1.0));
        Assert.Empty(DpSgdSweep.TransitionSigmas(0.0, 10_000, 1.0));
        Assert.Equal(25, DpSgdSweep.NoiseToSignal(0.5, 2.0, 10_000, 4.0), 12);
        IReadOnlyList<GradientDefence> paper = FederatedAuditOptions.PaperDefences;
        var merged = DpSgdSweep.Merge(paper, [0.01, 0.1, 0.3, 3.0]);
        Assert.Equal(["pruning, keep top 10 %", "DP-SGD C=1 σ=0.01", "DP-SGD C=1 σ=0.1", "DP-SGD C=1 σ=0.3", "DP-SGD C=1 σ=0.5", "pruning, keep top 1 %",
            "DP-SGD C=1 σ=1", "DP-SGD C=1 σ=3"], merged.Select(d => d.Name));
        Assert.Equal([new PruningDefence(10)], DpSgdSweep.Merge([new PruningDefence(10)], [0.01]));
        // at the floor (6 dB, margin 1 dB) from σ = 0.1: 0.03 is above, and a later rise above the margin resets it
        Assert.Equal(0.1, DpSgdSweep.FloorReachedAt([(0.01, 12), (0.03, 8), (0.1, 6.9), (0.5, 6.2), (1.0, 6.0)], 6.0));
        Assert.Null(DpSgdSweep.FloorReachedAt([(0.01, 12), (1.0, 7.5)], 6.0));
        Assert.Equal(1.0, DpSgdSweep.FloorReachedAt([(0.1, 6.5), (0.5, 7.5), (1.0, 6.0)], 6.0));
    }

    [Fact]
    public void DpSgd_ClipsEachSample_AndAddsNoiseOfStdSigmaCOverM()
    {
        // 4 samples, 200,000 coordinates: sample 0 has norm 10 (clipped to C = 2), the others are zero
        const int P = 200_000;
        var big = new float[P];
        big[0] = 10f;
        IReadOnlyList<float[]>[] per = [[big], [new float[P]], [new float[P]], [new float[P]]];
        float[][] avg = [[.. big.Select(v => v / 4)]];
        var quiet = GradientDefences.Apply(new DpSgdDefence(2.0, 0.0), avg, per);
        Assert.Equal(2f / 4, quiet[0][0], 6);
        var noisy = GradientDefences.Apply(new DpSgdDefence(2.0, 0.5, Seed: 9), avg, per);
        var tail = noisy[0].Skip(1).Select(v => (double)v).ToArray();
        var std = Math.Sqrt(tail.Sum(v => v * v) / tail.Length);
        Assert.Equal(0.5 * 2.0 / 4, std, 0.004);
        Assert.True(Math.Abs(tail.Average()) < 0.002);
    }

    [Fact]
    public void Fcn512_BatchesOfEight_ExclusiveColumnLabels_BeatTheBiasMultisetAlone()
    {
        // why: issue 12 item "M > 1 labels": LLG alone read 50–55 % at M = 8 on fcn-512; the exclusive weight-gradient
        // columns of the ReLU features give most samples' labels exactly (measured 77.5 % over 30 batches, seed 3).
        var model = OnnxModel.Load(RepoPaths.Model("fcn-512"));
        var names = FederatedGradient.TrainableParameters(model);
        using var session = GradientSessions.Create(model, new GradientRequest(new SoftmaxCrossEntropyLoss(), names), Runtime);
        var last = FcnHead.Extract(model).Layers[^1];
        var rng = new Random(3);
        double llg = 0, ours = 0;
        const int Batches = 12;
        for (var b = 0; b < Batches; b++)
        {
            var idx = Enumerable.Range(0, 2000).OrderBy(_ => rng.Next()).Take(8).ToArray();
            var (x, dims, y) = Batch(idx);
            var run = session.Run(x, dims, y);
            var g = names.ToDictionary(n => n, n => run.Gradient(n).ToArray(), StringComparer.Ordinal);
            llg += LabelInference.MultisetAccuracy(y, LabelInference.Infer(last, g, 8, exclusiveColumns: false).Labels) / Batches;
            var r = LabelInference.Infer(last, g, 8);
            ours += LabelInference.MultisetAccuracy(y, r.Labels) / Batches;
        }
        output.WriteLine($"fcn-512 M = 8 labels over {Batches} random batches: LLG {llg:P1}, exclusive columns + LLG {ours:P1}");
        Assert.True(ours >= llg + 0.15, $"exclusive columns {ours:P1} vs LLG {llg:P1}");
        Assert.True(ours >= 0.7, $"{ours:P1}");
    }

    [Fact]
    public void LabelInference_ExclusiveColumns_ReadEachSampleOnce_AndIgnoreMixedColumns()
    {
        // K = 3, M = 2: sample A (label 0) d = (−0.6, 0.4, 0.2) owns features 0, 1; sample B (label 2) d = (0.3, 0.2, −0.5)
        // owns features 2, 3; feature 4 mixes both (two negative entries), feature 5 is dead.
        double[][] d = [[-0.6, 0.4, 0.2], [0.3, 0.2, -0.5]];
        double[][] h = [[1.0, 2.0, 0, 0, 1.0, 0], [0, 0, 3.0, 0.5, 1.0, 0]];
        var w = new float[3 * 6];
        for (var c = 0; c < 3; c++)
            for (var j = 0; j < 6; j++) w[c * 6 + j] = (float)((d[0][c] * h[0][j] + d[1][c] * h[1][j]) / 2);
        Assert.Equal([0L, 2L], LabelInference.ExclusiveColumnLabels(w, 3, 6, 2).Order());
        var r = LabelInference.Infer(w, null, 3, 2);
        Assert.Equal(LabelMethod.ExclusiveColumnsThenMultiset, r.Method);
        Assert.Equal(2, r.FromExclusiveColumns);
        Assert.Equal([0L, 2L], r.Labels);
        // a single column per sample is not enough evidence (B.1 needs two equal-ratio columns)
        Assert.Empty(LabelInference.ExclusiveColumnLabels(w.Select((v, i) => i % 6 is 1 or 3 ? 0f : v).ToArray(), 3, 6, 2));
    }

    [Fact]
    public void LabelInference_Multiset_CountsDuplicatesFromTheImpact()
    {
        // K = 4, M = 3, true labels {1, 1, 3}: ∂b = (mean p − y) with p uniform 0.25
        float[] gb = [0.25f, 0.25f - 2f / 3, 0.25f, 0.25f - 1f / 3];
        var w = new float[4 * 2];
        for (var c = 0; c < 4; c++) { w[c * 2] = gb[c]; w[c * 2 + 1] = gb[c]; }
        var r = LabelInference.Infer(w, gb, 4, 3);
        Assert.Equal([1L, 1L, 3L], r.Labels);
        Assert.Equal(1.0, LabelInference.MultisetAccuracy([3, 1, 1], r.Labels));
        Assert.Equal(2 / 3.0, LabelInference.MultisetAccuracy([3, 1, 2], r.Labels), 12);
    }

    [Fact]
    public void Pruning_KeepsTheLargestMagnitudes_AndDistortionIsRelativeL2()
    {
        float[][] g = [[1f, -5f, 2f, 0.5f]];
        var p = GradientDefences.Apply(new PruningDefence(50), g, null);
        Assert.Equal([0f, -5f, 2f, 0f], p[0]);
        Assert.Equal(Math.Sqrt(1.25 / 30.25), GradientDefences.Distortion(g, p), 6);
    }
}
