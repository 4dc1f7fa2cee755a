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
    public void Lenet5_DpSgdSweep_PairedNoise_PsnrFallsFromTheCleanAttack_AndTheGradientSimilarityFallsAtEveryStep()
    {
        // why: seeds/001 §7.3 and Abadi et al. 2016: g̃ = (Σ_m clip_C(g_m) + N(0, σ²C²·I)) / M with C = 1, σ = 0, 0.1, 0.5, 1.0
        // (Fig. 9's direction). Paired design: one noise draw z (seed 5) scaled by σ, the same restart seed for every σ, labels
        // read from each defended gradient as the attacker would.
        var model = OnnxModel.Load(RepoPaths.Model("lenet5"));
        using var inv = new GradientInversion(model, InvertingOptions.Quick with { Iterations = 150 }, null, Runtime);
        var (x, dims, y) = Batch([3]);
        var clean = FederatedGradient.ComputeFor(model, x, dims, y, Runtime, inv.Parameters).Parameters.Select(p => p.Values).ToList();
        double[] sigmas = [0.0, 0.1, 0.5, 1.0];
        var psnrs = new List<double>();
        var cosines = new List<double>();
        foreach (var sigma in sigmas)
        {
            var shared = GradientDefences.Apply(new DpSgdDefence(1.0, sigma, Seed: 5), clean, [clean]);
            cosines.Add(GradientDefences.Cosine(clean, shared));
            var labels = LabelInference.Infer(FcnHead.Extract(model).Layers[^1], inv.Parameters.Zip(shared).ToDictionary(t => t.First, t => t.Second), 1);
            psnrs.Add(ReconstructionScore.Compute(x, inv.RunInverting(shared, labels.Labels).Images, y, labels.Labels, dims[1..]).MeanPsnr);
        }
        var ic = System.Globalization.CultureInfo.InvariantCulture;
        output.WriteLine("lenet5 DP-SGD σ = 0, 0.1, 0.5, 1.0: PSNR " + string.Join(", ", psnrs.Select(p => p.ToString("F2", ic))) +
            " dB; cos(g̃, g) " + string.Join(", ", cosines.Select(c => c.ToString("F4", ic))));
        // the shared update's similarity to the clean gradient falls at every step: the noise share grows with σ
        for (var i = 1; i < cosines.Count; i++) Assert.True(cosines[i] < cosines[i - 1], $"cos rose from {cosines[i - 1]} to {cosines[i]} at σ = {sigmas[i]}");
        Assert.True(psnrs[0] >= 15, $"without noise the attack should reconstruct (got {psnrs[0]} dB)");
        // why: every σ > 0 costs the attack more than 5 dB. A strict order among σ = 0.1, 0.5, 1.0 is not asserted: ‖N(0, σ²I)‖ ≈
        // σ·√61,706 ≈ 25–250 against a clipped gradient of norm ≤ 1 (cos ≤ 0.04), so all three sit at the floor of an attack on
        // pure noise. Measured over 6 samples × 2 noise draws (150 iterations): 14.83, 6.28, 6.03, 6.04 dB, and 6.15 dB with
        // the noise alone as target; the paired 0.1 → 0.5 step is +0.25 ± 0.17 dB (1.5 standard errors), 0.5 → 1.0 is 0.00.
        for (var i = 1; i < psnrs.Count; i++) Assert.True(psnrs[i] < psnrs[0] - 5, $"σ = {sigmas[i]}: {psnrs[i]} dB is not 5 dB below the clean {psnrs[0]} dB");
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
