using System.Numerics;

namespace OnnxAudit.Audits.Exclusivity;

/// <summary>The neuron exclusivity state of a batch (Pan et al. §4, with DESIGN.md's resolution).</summary>
public enum ExclusivityState
{
    /// <summary>Sufficient exclusivity: ∀m N_H^m ≥ 2 and N_i^m ≥ 1 for i &lt; H.</summary>
    Insecure,
    /// <summary>Lack of exclusivity: ∀m N_1^m = 0 and M &gt; d_1.</summary>
    Secure,
    /// <summary>Neither condition holds.</summary>
    Undetermined,
}

/// <summary>
/// Counts ExANs per sample and layer for batches drawn from <see cref="ActivationMasks"/>. Holds scratch
/// buffers: one instance per thread.
/// </summary>
internal sealed class ExclusivityCounter
{
    private readonly ActivationMasks _masks;
    private readonly ulong[] _seen1;
    private readonly ulong[] _seen2;

    public ExclusivityCounter(ActivationMasks masks)
    {
        _masks = masks;
        var max = masks.WordsPerSample.Max();
        _seen1 = new ulong[max];
        _seen2 = new ulong[max];
    }

    /// <summary>
    /// N_i^m for every layer i (0-based index) and batch position m: <paramref name="counts"/>[i·M + m].
    /// </summary>
    // N^m = popcount(mask_m & seen1 & ~seen2), where seen1 = OR of masks, seen2 = bits set in ≥ 2 masks.
    public void Count(ReadOnlySpan<int> batch, Span<int> counts)
    {
        var m = batch.Length;
        for (var l = 0; l < _masks.Layers.Count; l++)
        {
            var wps = _masks.WordsPerSample[l];
            var seen1 = _seen1.AsSpan(0, wps);
            var seen2 = _seen2.AsSpan(0, wps);
            seen1.Clear();
            seen2.Clear();
            var words = _masks.Words[l];
            foreach (var s in batch)
            {
                var mask = words.AsSpan(s * wps, wps);
                for (var w = 0; w < wps; w++)
                {
                    seen2[w] |= seen1[w] & mask[w];
                    seen1[w] |= mask[w];
                }
            }
            for (var k = 0; k < m; k++)
            {
                var mask = words.AsSpan(batch[k] * wps, wps);
                var c = 0;
                for (var w = 0; w < wps; w++) c += BitOperations.PopCount(mask[w] & seen1[w] & ~seen2[w]);
                counts[l * m + k] = c;
            }
        }
    }

    /// <summary>Classifies a batch from its counts (layout of <see cref="Count"/>).</summary>
    /// <param name="counts">N_i^m, [H × M].</param>
    /// <param name="m">Batch size M.</param>
    /// <param name="firstWidth">d_1, the width of the first head layer.</param>
    /// <param name="layers">H.</param>
    public static ExclusivityState Classify(ReadOnlySpan<int> counts, int m, int firstWidth, int layers)
    {
        // why: DESIGN.md "Neuron exclusivity": insecure needs N_H ≥ 2 and N_i ≥ 1 below H for every sample;
        // secure needs N_1 = 0 for every sample and M > d_1; everything else is undetermined.
        var insecure = true;
        for (var k = 0; k < m && insecure; k++)
        {
            if (counts[(layers - 1) * m + k] < 2) insecure = false;
            for (var i = 0; i < layers - 1 && insecure; i++)
                if (counts[i * m + k] < 1) insecure = false;
        }
        if (insecure) return ExclusivityState.Insecure;
        if (m > firstWidth)
        {
            var secure = true;
            for (var k = 0; k < m; k++)
                if (counts[k] != 0) { secure = false; break; }
            if (secure) return ExclusivityState.Secure;
        }
        return ExclusivityState.Undetermined;
    }
}
