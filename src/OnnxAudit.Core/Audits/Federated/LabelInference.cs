using OnnxAudit.Audits.GradientAttack;

namespace OnnxAudit.Audits.Federated;

/// <summary>How the batch labels were read from the gradient.</summary>
public enum LabelMethod
{
    /// <summary>iDLG (Zhao et al. 2020), M = 1: the only class whose last-layer bias gradient (or weight-row sum) is negative.</summary>
    Idlg,

    /// <summary>Wainakh et al. 2022 (LLG): every class with a negative bias gradient once, then the remaining samples to the
    /// classes with the most negative gradient after subtracting the estimated per-sample impact.</summary>
    BiasGradientMultiset,

    /// <summary>M &gt; 1: first one label per sample that owns ≥ 2 exclusive input features of the last Linear layer (their
    /// weight-gradient columns are proportional to p_m − y_m, whose only negative entry is y_m), then the rest by
    /// <see cref="BiasGradientMultiset"/> with those labels already given.</summary>
    ExclusiveColumnsThenMultiset,
}

/// <summary>Labels inferred from the observed gradient of the last Linear layer.</summary>
/// <param name="Labels">One label per reconstructed sample (a multiset; order carries no meaning).</param>
/// <param name="Method">The rule used.</param>
/// <param name="UsedBias">True when the bias gradient was used, false when weight-row sums stood in for it (no bias).</param>
/// <param name="FromExclusiveColumns">Labels read from exclusive weight-gradient columns (exact when the features are exclusive).</param>
public sealed record InferredLabels(long[] Labels, LabelMethod Method, bool UsedBias, int FromExclusiveColumns = 0);

/// <summary>
/// Label inference from the last Linear layer z = W·h + b of a classifier trained with mean cross-entropy:
/// ∂b_k = (1/M) Σ_m (p_mk − y_mk) and ∂W[k,:] = (1/M) Σ_m (p_mk − y_mk)·h_m. Stateless.
/// </summary>
public static class LabelInference
{
    /// <summary>Infers <paramref name="batchSize"/> labels.</summary>
    /// <param name="weightGradient">∂W as [K, F] row-major (class-major).</param>
    /// <param name="biasGradient">∂b [K], or null when the layer has no bias.</param>
    /// <param name="classes">K, the number of classes (rows of ∂W).</param>
    /// <param name="batchSize">M.</param>
    /// <param name="exclusiveColumns">Whether exclusive weight-gradient columns are used first (false = LLG alone).</param>
    public static InferredLabels Infer(ReadOnlySpan<float> weightGradient, float[]? biasGradient, int classes, int batchSize, bool exclusiveColumns = true)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        var k = classes;
        var f = weightGradient.Length / k;
        // why: without a bias, the weight-row sum Σ_j ∂W[k,j] = (1/M) Σ_m (p_mk − y_mk)·Σ_j h_mj has the sign of ∂b_k
        // when the features are non-negative (after ReLU / pooling), which is what iDLG uses.
        var g = new double[k];
        var usedBias = biasGradient is not null;
        if (biasGradient is not null)
        {
            for (var c = 0; c < k; c++) g[c] = biasGradient[c];
        }
        else
        {
            var rows = new double[k];
            for (var c = 0; c < k; c++)
                for (var j = 0; j < f; j++) rows[c] += weightGradient[c * f + j];
            // normalise so that Σ|g| matches a bias gradient's scale (2·(1 − p_y) ≈ 2 for M = 1): only signs and ratios matter
            var norm = rows.Sum(Math.Abs);
            for (var c = 0; c < k; c++) g[c] = norm > 0 ? 2 * rows[c] / norm : 0;
        }
        if (batchSize == 1)
        {
            var best = 0;
            for (var c = 1; c < k; c++) if (g[c] < g[best]) best = c;
            return new InferredLabels([best], LabelMethod.Idlg, usedBias);
        }
        // why: a feature j that only sample m activates (ReLU/exclusive, Pan et al. B.1 applied to the last layer) gives the
        // column ∂W[:,j] = (h_mj/M)·(p_m − y_m): exactly one negative entry, at y_m, and every such column of sample m is
        // proportional to every other. Two or more proportional single-negative columns = one sample, whose label is exact.
        var exclusive = exclusiveColumns ? ExclusiveColumnLabels(weightGradient, k, f, batchSize) : [];
        // why: Wainakh et al. 2022 (LLG): each sample of class k lowers g_k by about the same "impact"
        // ι = (1 + 1/K)·(Σ_{g_k<0} g_k)/M; step 1 takes every class with g_k < 0 once, step 2 repeatedly takes the
        // class with the most negative g_k after subtracting ι for every label already given to it.
        var impact = (1 + 1.0 / k) * g.Where(v => v < 0).Sum() / batchSize;
        var work = (double[])g.Clone();
        var labels = new List<long>(exclusive);
        foreach (var c in exclusive) work[c] -= impact;
        foreach (var c in Enumerable.Range(0, k).Where(c => g[c] < 0 && !exclusive.Contains(c)).OrderBy(c => g[c]))
        {
            if (labels.Count == batchSize) break;
            labels.Add(c);
            work[c] -= impact;
        }
        while (labels.Count < batchSize)
        {
            var best = 0;
            for (var c = 1; c < k; c++) if (work[c] < work[best]) best = c;
            labels.Add(best);
            work[best] -= impact;
        }
        return new InferredLabels([.. labels.Order()], exclusive.Count > 0 ? LabelMethod.ExclusiveColumnsThenMultiset : LabelMethod.BiasGradientMultiset,
            usedBias, exclusive.Count);
    }

    /// <summary>Labels of the samples identified by ≥ 2 proportional weight-gradient columns with exactly one negative entry
    /// (at most <paramref name="batchSize"/>, largest groups first).</summary>
    internal static List<long> ExclusiveColumnLabels(ReadOnlySpan<float> weightGradient, int classes, int features, int batchSize)
    {
        // why: an exclusive column is one rounded product per entry (relative error ≤ 6e-8), so its cosine to another column of the same
        // sample is 1 within ~1e-14; mixtures of two samples deviate far more. A loose tolerance here merged mixtures into spurious samples.
        const double Parallel = 1 - 1e-10;
        var groups = new List<(double[] Dir, int Label, int Count)>();
        var col = new double[classes];
        for (var j = 0; j < features; j++)
        {
            var negatives = 0;
            var neg = -1;
            double norm = 0;
            for (var c = 0; c < classes; c++)
            {
                col[c] = weightGradient[c * features + j];
                norm += col[c] * col[c];
                if (col[c] < 0) { negatives++; neg = c; }
            }
            if (negatives != 1 || !(norm > 0)) continue;
            norm = Math.Sqrt(norm);
            var found = -1;
            for (var q = 0; q < groups.Count && found < 0; q++)
            {
                if (groups[q].Label != neg) continue;
                double dot = 0;
                for (var c = 0; c < classes; c++) dot += groups[q].Dir[c] * col[c];
                if (dot / norm >= Parallel) found = q;
            }
            if (found >= 0) groups[found] = groups[found] with { Count = groups[found].Count + 1 };
            else groups.Add(([.. col.Select(v => v / norm)], neg, 1));
        }
        // why: features whose values in two samples stand in one exact ratio (cnn6: many of them) give exactly parallel
        // mixture columns with a single negative entry as well, so same-label groups cannot be told apart from another sample
        // of that class: each label is taken once here (largest group), duplicates are left to the multiset step.
        return [.. groups.Where(q => q.Count >= 2).OrderByDescending(q => q.Count).DistinctBy(q => q.Label).Take(batchSize).Select(q => (long)q.Label)];
    }

    /// <summary>Share of the true labels recovered as a multiset: |true ∩ inferred| / M.</summary>
    public static double MultisetAccuracy(IReadOnlyList<long> truth, IReadOnlyList<long> inferred)
    {
        ArgumentNullException.ThrowIfNull(truth);
        ArgumentNullException.ThrowIfNull(inferred);
        var left = inferred.GroupBy(v => v).ToDictionary(g => g.Key, g => g.Count());
        var hits = 0;
        foreach (var t in truth)
            if (left.TryGetValue(t, out var n) && n > 0) { hits++; left[t] = n - 1; }
        return truth.Count == 0 ? double.NaN : hits / (double)truth.Count;
    }

    internal static InferredLabels Infer(LinearLayer last, IReadOnlyDictionary<string, float[]> gradient, int batchSize, bool exclusiveColumns = true)
    {
        var gw = gradient[last.WeightName];
        var w = last.WeightTransposed ? FcnHead.Transpose(gw, last.In, last.Out) : gw;
        var gb = last.BiasName is { } b && gradient.TryGetValue(b, out var v) ? v : null;
        return Infer(w, gb, last.Out, batchSize, exclusiveColumns);
    }
}
