namespace OnnxAudit.Audits.Exclusivity;

// TEMPORARY: the data helper's Metrics.WilsonInterval replaces this once merged.
internal static class Wilson
{
    // p̃ = (p + z²/2n)/(1 + z²/n), half-width = z·sqrt(p(1−p)/n + z²/4n²)/(1 + z²/n), z = 1.959964.
    public static ProportionEstimate Estimate(int count, int total)
    {
        if (total <= 0) return new ProportionEstimate(count, total, double.NaN, 0, 1);
        const double z = 1.959963984540054;
        double n = total, p = count / n, z2 = z * z;
        var denom = 1 + z2 / n;
        var centre = (p + z2 / (2 * n)) / denom;
        var half = z * Math.Sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denom;
        return new ProportionEstimate(count, total, p, Math.Max(0, centre - half), Math.Min(1, centre + half));
    }
}
