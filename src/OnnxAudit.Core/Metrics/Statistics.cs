using MathNet.Numerics.Distributions;

namespace OnnxAudit.Metrics;

/// <summary>Descriptive statistics and confidence intervals, accumulated in double. Stateless and thread-safe.</summary>
public static class Statistics
{
    /// <summary>Arithmetic mean; NaN for an empty input.</summary>
    public static double Mean(ReadOnlySpan<double> values)
    {
        if (values.IsEmpty) return double.NaN;
        double sum = 0;
        foreach (var v in values) sum += v;
        return sum / values.Length;
    }

    /// <summary>Arithmetic mean of floats, accumulated in double; NaN for an empty input.</summary>
    public static double Mean(ReadOnlySpan<float> values)
    {
        if (values.IsEmpty) return double.NaN;
        double sum = 0;
        foreach (var v in values) sum += v;
        return sum / values.Length;
    }

    // s = sqrt(Σ(x − x̄)² / (n − 1))
    /// <summary>Sample standard deviation (n − 1 denominator); NaN for fewer than two values.</summary>
    public static double StandardDeviation(ReadOnlySpan<double> values)
    {
        if (values.Length < 2) return double.NaN;
        var m = Mean(values);
        double ss = 0;
        foreach (var v in values) ss += (v - m) * (v - m);
        return Math.Sqrt(ss / (values.Length - 1));
    }

    /// <summary>Quantile p ∈ [0,1] by linear interpolation at position p·(n − 1) of the sorted values (numpy 'linear').</summary>
    public static double Quantile(ReadOnlySpan<double> values, double p)
    {
        if (values.IsEmpty) return double.NaN;
        if (p is < 0 or > 1 || double.IsNaN(p)) throw new ArgumentOutOfRangeException(nameof(p), p, "quantile must be in [0,1]");
        var sorted = values.ToArray();
        Array.Sort(sorted);
        return QuantileSorted(sorted, p);
    }

    /// <summary>Min, quartiles and max (linear interpolation); all NaN for an empty input.</summary>
    public static Quartiles Quartiles(ReadOnlySpan<double> values)
    {
        if (values.IsEmpty) return new Quartiles(double.NaN, double.NaN, double.NaN, double.NaN, double.NaN);
        var sorted = values.ToArray();
        Array.Sort(sorted);
        return new Quartiles(sorted[0], QuantileSorted(sorted, 0.25), QuantileSorted(sorted, 0.5), QuantileSorted(sorted, 0.75), sorted[^1]);
    }

    // x̄ ± q·s/√n, q = t_{n−1, 1−α/2} (or z_{1−α/2} when normal = true)
    /// <summary>
    /// Confidence interval for a mean: Student t with n − 1 degrees of freedom (default) or the normal approximation.
    /// With fewer than two values the bounds are NaN. Non-finite values (e.g. PSNR = +∞) make the interval NaN/∞;
    /// callers should filter or cap them first.
    /// </summary>
    public static Interval MeanConfidenceInterval(ReadOnlySpan<double> values, double level = 0.95, bool normal = false)
        => MeanConfidenceInterval(values, double.NegativeInfinity, double.PositiveInfinity, level, normal);

    /// <summary>The t (or normal) interval of the mean, with its bounds clipped to the metric's range
    /// [<paramref name="min"/>, <paramref name="max"/>] (e.g. SSIM ∈ [−1, 1]): a bound outside the range the metric can
    /// take carries no information and misleads a reader.</summary>
    public static Interval MeanConfidenceInterval(ReadOnlySpan<double> values, double min, double max, double level = 0.95, bool normal = false)
    {
        var raw = MeanConfidenceIntervalUnclipped(values, level, normal);
        return double.IsNaN(raw.Lower) ? raw : raw with { Lower = Math.Clamp(raw.Lower, min, max), Upper = Math.Clamp(raw.Upper, min, max) };
    }

    private static Interval MeanConfidenceIntervalUnclipped(ReadOnlySpan<double> values, double level, bool normal)
    {
        if (level is <= 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(level), level, "level must be in (0,1)");
        var mean = Mean(values);
        if (values.Length < 2) return new Interval(mean, double.NaN, double.NaN, level);
        var q = normal
            ? Normal.InvCDF(0, 1, 0.5 + level / 2)
            : StudentT.InvCDF(0, 1, values.Length - 1, 0.5 + level / 2);
        var half = q * StandardDeviation(values) / Math.Sqrt(values.Length);
        return new Interval(mean, mean - half, mean + half, level);
    }

    // centre = (p̂ + z²/2n) / (1 + z²/n);  half = z/(1 + z²/n) · sqrt(p̂(1 − p̂)/n + z²/4n²)
    /// <summary>
    /// Wilson score interval for a proportion <paramref name="successes"/>/<paramref name="n"/> (default z = 1.96, 95%).
    /// Estimate is p̂; n = 0 gives p̂ = NaN and the uninformative interval [0, 1].
    /// </summary>
    public static Interval WilsonInterval(long successes, long n, double z = 1.96)
    {
        if (n < 0 || successes < 0 || successes > n) throw new ArgumentOutOfRangeException(nameof(successes), $"need 0 ≤ successes ({successes}) ≤ n ({n})");
        var level = 2 * Normal.CDF(0, 1, z) - 1;
        if (n == 0) return new Interval(double.NaN, 0, 1, level);
        var p = (double)successes / n;
        var z2 = z * z;
        var denom = 1 + z2 / n;
        var centre = (p + z2 / (2.0 * n)) / denom;
        var half = z / denom * Math.Sqrt(p * (1 - p) / n + z2 / (4.0 * n * n));
        return new Interval(p, Math.Max(0, centre - half), Math.Min(1, centre + half), level);
    }

    private static double QuantileSorted(double[] sorted, double p)
    {
        var pos = p * (sorted.Length - 1);
        var lo = (int)Math.Floor(pos);
        var hi = Math.Min(lo + 1, sorted.Length - 1);
        return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
    }
}
