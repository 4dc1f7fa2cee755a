namespace OnnxAudit.Audits.Exclusivity;

/// <summary>
/// Deterministic batch sampling: each batch draws M distinct sample indices (without replacement within the
/// batch; batches are independent). Uses a SplitMix64 stream so results do not depend on System.Random.
/// </summary>
internal sealed class BatchSampler
{
    private ulong _state;

    public BatchSampler(int seed, ulong stream = 0)
    {
        _state = unchecked((ulong)seed * 0x9E3779B97F4A7C15UL + stream * 0xD1B54A32D192ED03UL + 0x632BE59BD9B4E019UL);
    }

    // SplitMix64 (Steele et al. 2014).
    public ulong Next()
    {
        var z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Uniform integer in [0, n) (Lemire's multiply-shift; bias &lt; n/2^64, negligible).</summary>
    public int NextInt(int n) => (int)(((UInt128)Next() * (ulong)n) >> 64);

    /// <summary>Fills <paramref name="batch"/> with distinct indices drawn uniformly from <paramref name="pool"/> (partial Fisher–Yates on a scratch copy).</summary>
    public void Sample(ReadOnlySpan<int> pool, Span<int> batch, int[] scratch)
    {
        var n = pool.Length;
        if (batch.Length > n) throw new ArgumentException($"batch size {batch.Length} exceeds the {n} available samples");
        // Sparse Fisher–Yates: only the swapped positions of scratch are touched, then restored.
        pool.CopyTo(scratch);
        for (var k = 0; k < batch.Length; k++)
        {
            var j = k + NextInt(n - k);
            (scratch[k], scratch[j]) = (scratch[j], scratch[k]);
            batch[k] = scratch[k];
        }
    }
}
