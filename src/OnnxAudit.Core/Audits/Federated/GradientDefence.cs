using OnnxAudit.Common;
using System.Globalization;

namespace OnnxAudit.Audits.Federated;

/// <summary>A client-side defence applied to the shared gradient (seeds/001 §7.3 groups).</summary>
public abstract record GradientDefence
{
    /// <summary>Short name for tables.</summary>
    public abstract string Name { get; }

    /// <summary>Whether the defence needs per-sample gradients (batch-1 gradients of each sample).</summary>
    public virtual bool NeedsPerSample => false;

    /// <summary>No defence.</summary>
    public static GradientDefence None { get; } = new NoDefence();
}

/// <summary>The plain averaged gradient.</summary>
public sealed record NoDefence : GradientDefence
{
    /// <inheritdoc />
    public override string Name => "none";
}

/// <summary>DP-SGD (Abadi et al. 2016): clip every per-sample gradient (all parameters concatenated) to L2 norm ≤ C, sum,
/// add N(0, σ²C²) to every coordinate, divide by M.</summary>
/// <param name="Clip">C.</param>
/// <param name="Sigma">Noise multiplier σ.</param>
/// <param name="Seed">Seed of the noise.</param>
public sealed record DpSgdDefence(double Clip, double Sigma, int Seed = 0) : GradientDefence
{
    /// <inheritdoc />
    public override string Name => string.Create(CultureInfo.InvariantCulture, $"DP-SGD C={NumberText.G3(Clip)} σ={NumberText.G3(Sigma)}");

    /// <inheritdoc />
    public override bool NeedsPerSample => true;
}

/// <summary>Gradient pruning (Zhu et al. 2019 §6): in every parameter tensor keep the <see cref="KeepPercent"/> % entries
/// of largest magnitude, zero the rest.</summary>
/// <param name="KeepPercent">Share kept, in (0, 100].</param>
public sealed record PruningDefence(double KeepPercent) : GradientDefence
{
    /// <inheritdoc />
    public override string Name => string.Create(CultureInfo.InvariantCulture, $"pruning, keep top {NumberText.G3(KeepPercent)} %");
}

/// <summary>Applies <see cref="GradientDefence"/>s. Stateless and thread-safe.</summary>
public static class GradientDefences
{
    /// <summary>Applies the defence. <paramref name="averaged"/>: the batch-averaged gradient (one array per parameter);
    /// <paramref name="perSample"/>: each sample's batch-1 gradient (needed by DP-SGD, else may be null).</summary>
    public static float[][] Apply(GradientDefence defence, IReadOnlyList<float[]> averaged, IReadOnlyList<IReadOnlyList<float[]>>? perSample)
    {
        ArgumentNullException.ThrowIfNull(defence);
        ArgumentNullException.ThrowIfNull(averaged);
        switch (defence)
        {
            case NoDefence:
                return [.. averaged.Select(a => (float[])a.Clone())];
            case PruningDefence p:
                return [.. averaged.Select(a => Prune(a, p.KeepPercent))];
            case DpSgdDefence d:
                {
                    if (perSample is null || perSample.Count == 0) throw new ArgumentException("DP-SGD needs the per-sample gradients", nameof(perSample));
                    var m = perSample.Count;
                    var sum = ClippedSum(perSample, d.Clip);
                    var rng = new Random(d.Seed);
                    var result = new float[sum.Length][];
                    for (var l = 0; l < sum.Length; l++)
                    {
                        result[l] = new float[sum[l].Length];
                        for (var i = 0; i < sum[l].Length; i++)
                            result[l][i] = (float)((sum[l][i] + (d.Sigma > 0 ? d.Sigma * d.Clip * Gaussian(rng) : 0)) / m);
                    }
                    return result;
                }
            default:
                throw new ArgumentException($"unknown defence {defence.GetType().Name}", nameof(defence));
        }
    }

    /// <summary>Σ_m clip_C(g_m): every per-sample gradient (all parameters concatenated) scaled to L2 norm ≤ <paramref name="clip"/>, summed.</summary>
    public static double[][] ClippedSum(IReadOnlyList<IReadOnlyList<float[]>> perSample, double clip)
    {
        ArgumentNullException.ThrowIfNull(perSample);
        if (perSample.Count == 0) throw new ArgumentException("no per-sample gradients", nameof(perSample));
        var sum = perSample[0].Select(a => new double[a.Length]).ToArray();
        foreach (var s in perSample)
        {
            var norm = Math.Sqrt(s.Sum(t => t.Sum(v => (double)v * v)));
            var factor = Math.Min(1.0, clip / Math.Max(norm, 1e-30));
            for (var l = 0; l < s.Count; l++)
                for (var i = 0; i < s[l].Length; i++) sum[l][i] += factor * s[l][i];
        }
        return sum;
    }

    /// <summary>The DP-SGD update of a batch of <paramref name="m"/> samples whose gradients are all zero: the noise alone,
    /// N(0, σ²C²)/M with the defence's seed (the same draw <see cref="Apply"/> adds), shaped like <paramref name="like"/>.
    /// The Inverting attack on it measures the PSNR floor of an attack that sees no signal.</summary>
    public static float[][] NoiseOnly(DpSgdDefence defence, IReadOnlyList<float[]> like, int m)
    {
        ArgumentNullException.ThrowIfNull(defence);
        ArgumentNullException.ThrowIfNull(like);
        IReadOnlyList<float[]> zero = [.. like.Select(a => new float[a.Length])];
        return Apply(defence with { Sigma = defence.Sigma > 0 ? defence.Sigma : 1 }, zero, [.. Enumerable.Repeat(zero, Math.Max(1, m))]);
    }

    /// <summary>Relative L2 distortion ‖g̃ − g‖ / ‖g‖ over all parameters (the defence's cost on the update).</summary>
    public static double Distortion(IReadOnlyList<float[]> clean, IReadOnlyList<float[]> defended)
    {
        ArgumentNullException.ThrowIfNull(clean);
        ArgumentNullException.ThrowIfNull(defended);
        double num = 0, den = 0;
        for (var l = 0; l < clean.Count; l++)
            for (var i = 0; i < clean[l].Length; i++)
            {
                var d = (double)defended[l][i] - clean[l][i];
                num += d * d;
                den += (double)clean[l][i] * clean[l][i];
            }
        return den > 0 ? Math.Sqrt(num / den) : double.NaN;
    }

    /// <summary>cos(g, g̃) over all parameters concatenated (how much of the clean direction the shared update keeps; NaN for a zero vector).</summary>
    public static double Cosine(IReadOnlyList<float[]> clean, IReadOnlyList<float[]> defended)
    {
        ArgumentNullException.ThrowIfNull(clean);
        ArgumentNullException.ThrowIfNull(defended);
        double dot = 0, a = 0, b = 0;
        for (var l = 0; l < clean.Count; l++)
            for (var i = 0; i < clean[l].Length; i++)
            {
                dot += (double)clean[l][i] * defended[l][i];
                a += (double)clean[l][i] * clean[l][i];
                b += (double)defended[l][i] * defended[l][i];
            }
        return a > 0 && b > 0 ? dot / Math.Sqrt(a * b) : double.NaN;
    }

    private static float[] Prune(float[] a, double keepPercent)
    {
        var keep = (int)Math.Ceiling(a.Length * Math.Clamp(keepPercent, 0, 100) / 100.0);
        if (keep >= a.Length) return (float[])a.Clone();
        var mags = a.Select(MathF.Abs).ToArray();
        Array.Sort(mags);
        var threshold = keep == 0 ? float.PositiveInfinity : mags[a.Length - keep];
        var r = new float[a.Length];
        var kept = 0;
        for (var i = 0; i < a.Length && kept < keep; i++)
            if (MathF.Abs(a[i]) >= threshold) { r[i] = a[i]; kept++; }
        return r;
    }

    private static double Gaussian(Random rng)
    {
        // Box–Muller
        var u1 = 1.0 - rng.NextDouble();
        var u2 = rng.NextDouble();
        return Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }
}

/// <summary>A larger deployment batch: the same victim samples trained together with (Factor − 1)·M other samples;
/// the attack is scored on all of them.</summary>
/// <param name="Factor">Batch size multiplier (≥ 2).</param>
public sealed record LargerBatchDefence(int Factor) : GradientDefence
{
    /// <inheritdoc />
    public override string Name => string.Create(CultureInfo.InvariantCulture, $"batch × {Factor}");
}

/// <summary>Exclusivity reduction (Pan et al. Corollary 1, <see cref="Exclusivity.ExclusivityHardening"/>): the first ReLU of the
/// fully-connected head is removed. Only for heads with ≥ 2 affine layers and a ReLU after the first.</summary>
public sealed record ExclusivityReductionDefence : GradientDefence
{
    /// <inheritdoc />
    public override string Name => "exclusivity reduction";
}
