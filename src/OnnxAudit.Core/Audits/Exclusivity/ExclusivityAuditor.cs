using System.Globalization;
using OnnxAudit.Onnx;
using OnnxAudit.Progress;

namespace OnnxAudit.Audits.Exclusivity;

/// <summary>
/// The neuron-exclusivity audit (Pan et al. §4, §7.4): one forward pass records activation masks of the head's
/// ReLU layers, then sampled batches are classified insecure / secure / undetermined. Thread-safe (no shared state).
/// </summary>
public static class ExclusivityAuditor
{
    /// <summary>Runs the audit.</summary>
    /// <param name="model">The classifier.</param>
    /// <param name="images">Float32 NCHW images, already normalised as the model expects.</param>
    /// <param name="dims">Shape of <paramref name="images"/>; dims[0] is the sample count.</param>
    /// <param name="labels">Labels (one per sample) for same-class batches, or null.</param>
    /// <param name="layers">The head's ReLU layers i = 1…H (from the graph analysis).</param>
    /// <param name="options">Batch size, batches, seed, sweep.</param>
    /// <param name="progress">Progress sink.</param>
    public static ExclusivityResult Run(OnnxModel model, float[] images, long[] dims, int[]? labels,
        IReadOnlyList<HeadReluLayer> layers, ExclusivityOptions options, IAuditProgress progress)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(options);
        var n = (int)dims[0];
        if (labels is not null && labels.Length != n)
            throw new ArgumentException($"{labels.Length} labels for {n} images", nameof(labels));
        if (options.BatchSize < 1 || options.BatchSize > n)
            throw new Errors.OnnxAuditException(string.Create(CultureInfo.InvariantCulture,
                $"--batch-size {options.BatchSize}: must be between 1 and the {n} samples of the data set; use a smaller batch size or more data."));
        var masks = ActivationMasks.Record(model, images, dims, layers, options.Runtime, Autodiff.FederatedGradient.ForwardChunk(model, options.ForwardBatch), progress);
        return Compute(masks, labels, options, progress) with { ModelOrigin = model.Origin, ModelSha256 = model.Sha256 };
    }

    /// <summary>Runs the audit on the context's data with its memoised masks of <paramref name="model"/> (the context's
    /// model or a derived one).</summary>
    public static ExclusivityResult Run(AuditContext context, OnnxModel model, IReadOnlyList<HeadReluLayer> layers, ExclusivityOptions options, IAuditProgress progress)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(options);
        var n = context.Data.N;
        if (options.BatchSize < 1 || options.BatchSize > n)
            throw new Errors.OnnxAuditException(string.Create(CultureInfo.InvariantCulture,
                $"--batch-size {options.BatchSize}: must be between 1 and the {n} samples of the data set; use a smaller batch size or more data."));
        var masks = context.Masks(model, layers, Autodiff.FederatedGradient.ForwardChunk(model, options.ForwardBatch), progress);
        return Compute(masks, context.Labels, options, progress) with { ModelOrigin = model.Origin, ModelSha256 = model.Sha256 };
    }

    /// <summary>The statistics on recorded masks (the part after the forward pass).</summary>
    internal static ExclusivityResult Compute(ActivationMasks masks, int[]? labels, ExclusivityOptions options, IAuditProgress progress)
    {
        var n = masks.Samples;
        var all = Enumerable.Range(0, n).ToArray();
        var sweepSizes = options.EffectiveSweepSizes.Where(s => s >= 1 && s <= n).Distinct().Order().ToArray();
        using var stage = progress.Start("exclusivity statistics", options.Batches * (2 + (sweepSizes.Length > 0 ? 1 : 0)));

        // why: separate sampler streams so adding the sweep or same-class batches never changes the main numbers.
        var main = Sample(masks, options.BatchSize, options.Batches, new BatchSampler(options.Seed, 1), (s, b, scratch) => s.Sample(all, b, scratch), withLayers: true, stage);

        var sweep = new List<BatchStatistics>();
        if (sweepSizes.Length > 0) sweep.AddRange(Sweep(masks, sweepSizes, options.Batches, new BatchSampler(options.Seed, 2), stage));
        int? largest = null;
        foreach (var p in sweep)
            if (p.Insecure.Proportion >= options.InsecureThreshold) largest = p.BatchSize;

        BatchStatistics? sameClass = null;
        if (labels is not null && options.SameClassBatches)
        {
            var pools = labels.Select((y, i) => (y, i)).GroupBy(t => t.y).OrderBy(g => g.Key)
                .Select(g => g.Select(t => t.i).ToArray()).Where(p => p.Length >= options.BatchSize).ToArray();
            if (pools.Length > 0)
            {
                sameClass = Sample(masks, options.BatchSize, options.Batches, new BatchSampler(options.Seed, 3),
                    (s, b, scratch) => s.Sample(pools[s.NextInt(pools.Length)], b, scratch), withLayers: true, stage);
            }
        }
        return new ExclusivityResult("", "", n, masks.Layers, options.Seed, main, sweep, largest, options.InsecureThreshold, sameClass);
    }

    internal delegate void Draw(BatchSampler sampler, Span<int> batch, int[] scratch);

    private static BatchStatistics Sample(ActivationMasks masks, int m, int batches, BatchSampler sampler, Draw draw, bool withLayers, IProgressStage stage)
    {
        var h = masks.Layers.Count;
        var counter = new ExclusivityCounter(masks);
        var batch = new int[m];
        var scratch = new int[masks.Samples];
        var counts = new int[h * m];
        var hist = masks.Layers.Select(l => new long[l.Width + 1]).ToArray();
        var active = new double[h];
        int insecure = 0, secure = 0;
        for (var b = 0; b < batches; b++)
        {
            draw(sampler, batch, scratch);
            counter.Count(batch, counts);
            switch (ExclusivityCounter.Classify(counts, m, masks.Layers[0].Width, h))
            {
                case ExclusivityState.Insecure: insecure++; break;
                case ExclusivityState.Secure: secure++; break;
            }
            if (withLayers)
            {
                for (var i = 0; i < h; i++)
                {
                    for (var k = 0; k < m; k++)
                    {
                        hist[i][counts[i * m + k]]++;
                        active[i] += masks.ActiveCount(i, batch[k]) / (double)masks.Layers[i].Width;
                    }
                }
            }
            stage.Advance();
        }
        var layers = withLayers
            ? masks.Layers.Select((l, i) => Distribution(l, hist[i], active[i])).ToList()
            : [];
        return new BatchStatistics(m, Proportion(insecure, batches), Proportion(secure, batches),
            Proportion(batches - insecure - secure, batches), layers);
    }

    private static IEnumerable<BatchStatistics> Sweep(ActivationMasks masks, int[] sizes, int batches, BatchSampler sampler, IProgressStage stage)
    {
        var h = masks.Layers.Count;
        var max = sizes[^1];
        var counter = new ExclusivityCounter(masks);
        var all = Enumerable.Range(0, masks.Samples).ToArray();
        var scratch = new int[masks.Samples];
        var batch = new int[max];
        var counts = new int[h * max];
        var insecure = new int[sizes.Length];
        var secure = new int[sizes.Length];
        for (var b = 0; b < batches; b++)
        {
            sampler.Sample(all, batch, scratch);
            for (var s = 0; s < sizes.Length; s++)
            {
                // why: nested prefixes — an ExAN of a sample in a batch stays exclusive in every sub-batch, so
                // "insecure at M" implies "insecure at every M' < M" for the same batch (monotone sweep).
                var m = sizes[s];
                counter.Count(batch.AsSpan(0, m), counts.AsSpan(0, h * m));
                switch (ExclusivityCounter.Classify(counts.AsSpan(0, h * m), m, masks.Layers[0].Width, h))
                {
                    case ExclusivityState.Insecure: insecure[s]++; break;
                    case ExclusivityState.Secure: secure[s]++; break;
                }
            }
            stage.Advance();
        }
        for (var s = 0; s < sizes.Length; s++)
        {
            yield return new BatchStatistics(sizes[s], Proportion(insecure[s], batches), Proportion(secure[s], batches),
                Proportion(batches - insecure[s] - secure[s], batches), []);
        }
    }

    // why: DESIGN.md "Metrics" — 95% Wilson interval (the data helper's Statistics.WilsonInterval, z = 1.96).
    private static ProportionEstimate Proportion(int count, int total)
    {
        var w = Metrics.Statistics.WilsonInterval(count, total);
        return new ProportionEstimate(count, total, w.Estimate, w.Lower, w.Upper);
    }

    private static LayerExanDistribution Distribution(HeadReluLayer layer, long[] hist, double activeSum)
    {
        var total = hist.Sum();
        double mean = 0;
        for (var v = 0; v < hist.Length; v++) mean += v * (double)hist[v];
        mean /= Math.Max(1, total);
        int Quantile(double q)
        {
            long cum = 0;
            for (var v = 0; v < hist.Length; v++)
            {
                cum += hist[v];
                if (cum >= q * total) return v;
            }
            return hist.Length - 1;
        }
        double Share(long c) => total == 0 ? 0 : c / (double)total;
        return new LayerExanDistribution(layer.Index, layer.Width, total, mean, Quantile(0.25), Quantile(0.5), Quantile(0.75),
            Share(hist[0]), Share(hist.Length > 1 ? hist[1] : 0), Share(total - hist[0] - (hist.Length > 1 ? hist[1] : 0)),
            activeSum / Math.Max(1, total));
    }
}
