using OnnxAudit.Common;
using OnnxAudit.Runtime;
using System.Globalization;
using OnnxAudit.Audits.Exclusivity;
using OnnxAudit.Autodiff;
using OnnxAudit.Metrics;
using OnnxAudit.Onnx;
using OnnxAudit.Progress;

namespace OnnxAudit.Audits.GradientAttack;

/// <summary>Computes a victim's averaged gradient for one batch, keyed by initializer name.</summary>
public delegate IReadOnlyDictionary<string, float[]> VictimGradient(float[] batch, long[] dims, long[] labels);

/// <summary>
/// Simulates the federated-gradient attack of Pan et al. on sampled batches: the victim's averaged gradient comes from
/// the gradient session (<see cref="FederatedGradient"/>); the attacker sees only the model and that gradient; the
/// evaluation matches recovered to true samples (Hungarian on MSE).
/// </summary>
public static class GradientAttackSimulation
{
    private const double PsnrCap = 150;

    /// <summary>Runs the simulation.</summary>
    /// <param name="model">The classifier.</param>
    /// <param name="images">Float32 NCHW images (as fed to the model).</param>
    /// <param name="dims">Shape of <paramref name="images"/>.</param>
    /// <param name="labels">True labels.</param>
    /// <param name="layers">Head ReLU layers (for the ground-truth exclusivity state of each batch).</param>
    /// <param name="options">Batch size, counts, seed.</param>
    /// <param name="progress">Progress sink.</param>
    /// <param name="gradient">Victim gradient; null uses <see cref="FederatedGradient.Compute"/>.</param>
    public static AttackSimulationResult Run(OnnxModel model, float[] images, long[] dims, int[] labels, IReadOnlyList<HeadReluLayer> layers,
        AttackSimulationOptions options, IAuditProgress progress, VictimGradient? gradient = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(options);
        gradient ??= (b, d, y) => FederatedGradient.Compute(model, b, d, y, options.Runtime).Parameters.ToDictionary(p => p.Name, p => p.Values);
        var head = FcnHead.Extract(model);
        var masks = ActivationMasks.Record(model, images, dims, layers, options.Runtime, 256, progress);
        using var headForward = head.IsWholeModel ? null : new ModelSession(model, options.Runtime, [head.InputName]);
        var fm = options.FeatureMatching ?? FeatureMatchingOptions.Default;
        var sampleDims = dims.Skip(1).ToArray();
        using var stage2 = head.IsWholeModel || fm.Iterations <= 0 ? null : new FeatureMatching(model, head.InputName, sampleDims, fm, options.Runtime);
        return Run(new SimulationInputs(model, head, masks, images, dims, sampleDims, labels, layers, gradient, headForward, stage2), options, progress);
    }

    /// <summary>Runs the simulation with the context's memoised masks, sessions and one victim-gradient session for every batch.
    /// Image metrics use the data's C×H×W shape whatever the model's input layout.</summary>
    public static AttackSimulationResult Run(AuditContext context, OnnxModel model, IReadOnlyList<HeadReluLayer> layers,
        AttackSimulationOptions options, IAuditProgress progress)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(options);
        var head = FcnHead.Extract(model);
        // why: issue 17: the statistics record the masks in ForwardChunk's chunks; asking for 256 on a model whose chunk is smaller
        // (vgg11_bn@64) missed the memoised masks and ran a second forward pass over all data (13–38 s there, twice per report).
        var masks = context.Masks(model, layers, Autodiff.FederatedGradient.ForwardChunk(model, ExclusivityOptions.Default.ForwardBatch), progress);
        var headForward = head.IsWholeModel ? null : context.Session(model, [head.InputName]);
        var fm = options.FeatureMatching ?? FeatureMatchingOptions.Default;
        var sampleDims = context.ImageDims;
        var stage2 = head.IsWholeModel || fm.Iterations <= 0 ? null : context.FeatureMatcher(model, head.InputName, context.InputDims[1..], fm);
        // why: issue 17: the attack reads the head's gradient only; the whole model's (128.8 M parameters on vgg11_bn) also ran the
        // backward pass through Φ and copied every conv gradient per batch.
        string[] headParameters = [.. head.Layers.SelectMany(l => l.BiasName is null ? new[] { l.WeightName } : [l.WeightName, l.BiasName])];
        return Run(new SimulationInputs(model, head, masks, context.Images, context.InputDims, sampleDims, context.Labels!, layers,
            context.FederatedGradient(model, headParameters), headForward, stage2), options, progress);
    }

    /// <summary>What one simulation reads: the model and its head, the recorded masks, the images (as fed to the model,
    /// <paramref name="Dims"/>) with their C×H×W <paramref name="SampleDims"/> and labels, the victim gradient, and the
    /// optional head-input session and stage-2 matcher (owned by the caller).</summary>
    private sealed record SimulationInputs(OnnxModel Model, FcnHead Head, ActivationMasks Masks, float[] Images, long[] Dims, long[] SampleDims,
        int[] Labels, IReadOnlyList<HeadReluLayer> Layers, VictimGradient Gradient, ModelSession? HeadForward, FeatureMatching? Stage2);

    private static AttackSimulationResult Run(SimulationInputs inputs, AttackSimulationOptions options, IAuditProgress progress)
    {
        var (model, head, masks, images, dims, sampleDims, labels, layers, gradient, headForward, stage2) = inputs;
        var n = masks.Samples;
        var m = options.BatchSize;
        var per = images.Length / n;

        var chosen = new List<int[]>();
        var counter = new ExclusivityCounter(masks);
        var all = Enumerable.Range(0, n).ToArray();
        var scratch = new int[n];
        var counts = new int[layers.Count * m];
        var sampler = new BatchSampler(options.Seed, 4);
        for (var t = 0; t < options.MaxSearch && chosen.Count < options.InsecureBatches; t++)
        {
            var b = new int[m];
            sampler.Sample(all, b, scratch);
            counter.Count(b, counts);
            if (ExclusivityCounter.Classify(counts, m, layers[0].Width, layers.Count) == ExclusivityState.Insecure) chosen.Add(b);
        }
        if (chosen.Count < options.InsecureBatches)
            progress.Message($"only {chosen.Count} insecure batches of size {m} found in {options.MaxSearch} draws");
        var random = new BatchSampler(options.Seed, 5);
        for (var r = 0; r < options.RandomBatches; r++)
        {
            var b = new int[m];
            random.Sample(all, b, scratch);
            chosen.Add(b);
        }

        var outcomes = new List<BatchAttackOutcome>();
        using var stage = progress.Start("gradient attack", chosen.Count);
        var fm = options.FeatureMatching ?? FeatureMatchingOptions.Default;
        foreach (var b in chosen)
        {
            var batch = b.SelectMany(i => images.AsSpan(i * per, per).ToArray()).ToArray();
            var bdims = (long[])dims.Clone();
            bdims[0] = m;
            var grad = gradient(batch, bdims, [.. b.Select(i => (long)labels[i])]);
            var attack = AnalyticGradientAttack.Run(head, grad, options.Attack ?? GradientAttackOptions.Default);
            var truth = batch;
            if (headForward is not null)
            {
                float[] feats = [];
                headForward.Run(batch, bdims, m, (_, _, o) => feats = o[0]);
                truth = feats;
            }
            counter.Count(b, counts);
            var state = ExclusivityCounter.Classify(counts, m, layers[0].Width, layers.Count);
            var perLayer = Enumerable.Range(0, layers.Count).Select(i => counts.AsSpan(i * m, m).ToArray()).ToArray();
            float[]?[]? stage2Images = null;
            if (stage2 is not null)
            {
                // why: Pan et al. §5 stage 2: every head input recovered by stage 1 is inverted through Φ by feature matching.
                var withInput = Enumerable.Range(0, attack.Samples.Count).Where(r => attack.Samples[r].HeadInput is not null).ToList();
                var (imgs, _) = stage2.Run([.. withInput.Select(r => attack.Samples[r].HeadInput!)]);
                stage2Images = new float[]?[attack.Samples.Count];
                for (var k = 0; k < withInput.Count; k++) stage2Images[withInput[k]] = imgs[k];
            }
            var outcome = Evaluate(b, labels, truth, head.InputWidth, head.IsWholeModel ? sampleDims : null, attack, state, perLayer,
                stage2Images is null ? null : (batch, sampleDims, stage2Images));
            outcome = outcome with
            {
                Samples = [.. outcome.Samples.Select((s, t) => s with
                {
                    Original = batch.AsSpan(t * per, per).ToArray(),
                    ImageReconstruction = head.IsWholeModel ? s.Reconstruction : s.ImageReconstruction,
                })],
            };
            outcomes.Add(outcome);
            stage.Advance();
        }
        var ins = outcomes.Take(options.InsecureBatches).Where(o => o.State == ExclusivityState.Insecure).ToList();
        var rnd = outcomes.Skip(chosen.Count - options.RandomBatches).ToList();
        var stageText = head.IsWholeModel ? "analytic (FCN)"
            : stage2 is null ? "stage 1 only (head input of a CNN; image PSNR not computed)"
            : string.Create(CultureInfo.InvariantCulture,
                $"hybrid attack: stage 1 analytic, stage 2 feature matching ({fm.Iterations} iterations, λ_TV {NumberText.G3(fm.TvWeight)}, Adam lr {NumberText.G3(fm.LearningRate)}{(fm.Planned is null ? "" : "; " + fm.Planned)})");
        return new AttackSimulationResult(model.Origin, head.IsWholeModel, sampleDims, outcomes, Summarize(ins), Summarize(rnd), stageText)
        {
            FeatureMatching = stage2 is null ? null : fm,
        };
    }

    /// <summary>Matches recovered to true samples (Hungarian on head-input MSE) and scores them.</summary>
    /// <param name="batch">Dataset indices of the batch.</param>
    /// <param name="labels">True labels of the data set.</param>
    /// <param name="truth">True head inputs of the batch (M × width).</param>
    /// <param name="width">Head input width.</param>
    /// <param name="imageDims">(C, H, W) when the head input is the image (FCN), else null.</param>
    /// <param name="attack">The attacker's output.</param>
    /// <param name="state">Ground-truth exclusivity state.</param>
    /// <param name="counts">N_i^m, [layer][sample].</param>
    /// <param name="stage2">For a CNN after stage 2: the batch's images (truth), one sample's shape (C, H, W) and the stage-2
    /// image of each recovered sample (null where stage 1 recovered no head input); image metrics then compare these.</param>
    internal static BatchAttackOutcome Evaluate(int[] batch, int[] labels, float[] truth, int width, long[]? imageDims,
        GradientAttackResult attack, ExclusivityState state, int[][] counts, (float[] Images, long[] Dims, float[]?[] Reconstructions)? stage2 = null)
    {
        var m = batch.Length;
        var rec = attack.Samples;
        var cost = new double[m, Math.Max(1, rec.Count)];
        for (var t = 0; t < m; t++)
            for (var r = 0; r < rec.Count; r++)
                cost[t, r] = rec[r].HeadInput is { } x ? Math.Min(1e6, ImageMetrics.Mse(truth.AsSpan(t * width, width), x)) : 1e6;
        var match = rec.Count == 0 ? Enumerable.Repeat(-1, m).ToArray() : Hungarian.Solve(cost);
        var samples = new List<SampleOutcome>();
        for (var t = 0; t < m; t++)
        {
            var r = match[t];
            var x = r >= 0 ? rec[r].HeadInput : null;
            var tv = truth.AsSpan(t * width, width);
            double mse = double.NaN, psnr = double.NaN, ssim = double.NaN;
            float[]? image = null;
            if (x is not null && stage2 is { } s2)
            {
                // why: matching stays on the head input (what stage 1 separates per sample); the image metrics of the
                // matched pair score stage 2.
                mse = ImageMetrics.Mse(tv, x);
                image = s2.Reconstructions[r];
                var d = s2.Dims;
                var per = (int)d.Aggregate(1L, (a, b) => a * b);
                var orig = s2.Images.AsSpan(t * per, per);
                if (image is not null && d.Length == 3)
                {
                    psnr = ImageMetrics.PsnrFromMse(ImageMetrics.Mse(orig, image));
                    if (d[1] >= ImageMetrics.SsimWindow && d[2] >= ImageMetrics.SsimWindow)
                        ssim = ImageMetrics.Ssim(orig, image, (int)d[0], (int)d[1], (int)d[2]);
                }
            }
            else if (x is not null)
            {
                mse = ImageMetrics.Mse(tv, x);
                if (imageDims is { Length: 3 })
                {
                    psnr = ImageMetrics.PsnrFromMse(mse);
                    if (imageDims[1] >= ImageMetrics.SsimWindow && imageDims[2] >= ImageMetrics.SsimWindow)
                        ssim = ImageMetrics.Ssim(tv, x, (int)imageDims[0], (int)imageDims[1], (int)imageDims[2]);
                }
            }
            samples.Add(new SampleOutcome(batch[t], labels[batch[t]], r >= 0 ? rec[r].Label : null, mse, psnr, ssim, x) { ImageReconstruction = image });
        }
        var recovered = samples.Where(s => s.Reconstruction is not null).ToList();
        var acc = samples.Count(s => s.RecoveredLabel == s.TrueLabel) / (double)m;
        var psnrs = recovered.Select(s => Math.Min(PsnrCap, s.Psnr)).Where(double.IsFinite).ToList();
        var ssims = recovered.Select(s => s.Ssim).Where(double.IsFinite).ToList();
        string? explanation = null;
        if (state != ExclusivityState.Insecure)
        {
            var h = counts.Length;
            var why = new List<string>();
            for (var k = 0; k < m; k++)
            {
                if (counts[h - 1][k] < 2) why.Add($"sample {batch[k]} has N_{h} = {counts[h - 1][k]} < 2");
                for (var i = 0; i < h - 1; i++)
                    if (counts[i][k] < 1) why.Add($"sample {batch[k]} has N_{i + 1} = 0");
            }
            explanation = string.Create(CultureInfo.InvariantCulture,
                $"outside the insecure boundary ({string.Join("; ", why.Take(6))}{(why.Count > 6 ? "; …" : "")}): B.1 found {attack.InferredBatchSize} of {m} samples, {recovered.Count} inputs recovered");
            var failures = rec.Where(s => s.Failure is not null).Select(s => s.Failure!).Distinct().ToList();
            if (failures.Count > 0) explanation += "; failures: " + string.Join("; ", failures);
        }
        return new BatchAttackOutcome(batch, state, counts, attack.InferredBatchSize, acc, psnrs.Count > 0 ? psnrs.Average() : double.NaN,
            ssims.Count > 0 ? ssims.Average() : double.NaN, recovered.Count, attack.ScaleMethod, attack.InputMethod, samples, attack.Notes, explanation);
    }

    private static AttackSummary Summarize(IReadOnlyList<BatchAttackOutcome> batches)
    {
        var samples = batches.SelectMany(b => b.Samples).ToList();
        var rec = samples.Where(s => s.Reconstruction is not null).ToList();
        var psnr = rec.Select(s => Math.Min(PsnrCap, s.Psnr)).Where(double.IsFinite).ToList();
        var ssim = rec.Select(s => s.Ssim).Where(double.IsFinite).ToList();
        return new AttackSummary(batches.Count, batches.Count(b => b.InferredBatchSize == b.TrueBatchSize),
            samples.Count == 0 ? double.NaN : samples.Count(s => s.RecoveredLabel == s.TrueLabel) / (double)samples.Count,
            psnr.Count > 0 ? psnr.Average() : double.NaN, ssim.Count > 0 ? ssim.Average() : double.NaN,
            samples.Count == 0 ? double.NaN : rec.Count / (double)samples.Count);
    }
}
