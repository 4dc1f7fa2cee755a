using System.Globalization;

namespace OnnxAudit.Audits.Federated;

/// <summary>
/// The DP-SGD σ sweep of the defence table: where the attack's PSNR falls from the undefended value to the floor.
/// DP-SGD (Abadi et al. 2016, seeds/001 §7.3) shares g̃ = (Σ_m clip_C(g_m) + N(0, σ²C²·I)) / M. The noise has norm ≈ σC√P
/// over P parameters, the signal ‖Σ_m clip_C(g_m)‖ ≤ M·C, so what the attack sees is set by the noise-to-signal ratio
/// ρ = σC√P / ‖Σ_m clip_C(g_m)‖ (cos(g̃, g) ≈ 1/√(1 + ρ²)), not by σ alone. The paper's σ = 0.1/0.5/1.0 on its FCN (P ≈ 23k,
/// M = 8, clipped gradients) put ρ at about 2–50, inside the fall; on lenet5 at M = 1 (P = 61,706) they put ρ at 25–250
/// or more, where the attack already scores what it scores on the noise alone. The sweep therefore adds the σ of the 1–3
/// series with ρ in [<see cref="RhoLow"/>, <see cref="RhoHigh"/>) for the audited batches, and measures the floor: the
/// attack with the noise alone as its target (<see cref="GradientDefences.NoiseOnly"/>). Stateless.
/// </summary>
public static class DpSgdSweep
{
    /// <summary>Lowest noise-to-signal ratio the sweep covers (lenet5, M = 1, 300 iterations: no measurable loss at ρ ≈ 0.7).</summary>
    public const double RhoLow = 0.3;

    /// <summary>Highest noise-to-signal ratio the sweep covers, exclusive (lenet5: at the floor from ρ ≈ 25).</summary>
    public const double RhoHigh = 30;

    /// <summary>Inverting runs the sweep may add per batch: at most 4 σ of the 1–3 series in [ρ_low, ρ_high) (a factor 100 holds
    /// two decades × 2) plus the floor; the time planner counts them.</summary>
    public const int MaxRuns = 5;

    /// <summary>The σ rows are added only when the undefended Inverting attack scores at least this many dB above the floor
    /// (else every σ sits at the floor and the rows measure nothing).</summary>
    public const double MinimumGainDb = 3.0;

    /// <summary>A σ row "is at the floor" when its mean PSNR is at most this many dB above the floor's.</summary>
    public const double FloorMarginDb = 1.0;

    /// <summary>ρ = σC√P / <paramref name="signal"/> (∞ for a zero signal).</summary>
    public static double NoiseToSignal(double sigma, double clip, long parameterCount, double signal) =>
        signal > 0 ? sigma * clip * Math.Sqrt(parameterCount) / signal : double.PositiveInfinity;

    /// <summary>The σ values {1, 3}·10^k (ascending) whose ρ = σC√P / <paramref name="signal"/> lies in [<see cref="RhoLow"/>,
    /// <see cref="RhoHigh"/>); empty for a zero or non-finite signal.</summary>
    public static IReadOnlyList<double> TransitionSigmas(double signal, long parameterCount, double clip)
    {
        if (!(signal > 0) || !double.IsFinite(signal) || parameterCount <= 0 || !(clip > 0)) return [];
        var lo = RhoLow * signal / (clip * Math.Sqrt(parameterCount));
        var hi = RhoHigh * signal / (clip * Math.Sqrt(parameterCount));
        var list = new List<double>();
        for (var k = (int)Math.Floor(Math.Log10(lo)) - 1; k <= (int)Math.Ceiling(Math.Log10(hi)); k++)
            foreach (var mant in new[] { 1.0, 3.0 })
            {
                // why: parse the decimal form so that 3·10^-3 is exactly the double 0.003 (names and dedupe compare equal).
                var v = double.Parse(string.Create(CultureInfo.InvariantCulture, $"{mant:0}e{k}"), CultureInfo.InvariantCulture);
                if (v >= lo * (1 - 1e-12) && v < hi * (1 - 1e-12)) list.Add(v);
            }
        return list;
    }

    /// <summary>The defence list with a DP-SGD row (clip and seed of the list's first DP-SGD defence) for every σ of
    /// <paramref name="sigmas"/> not already listed, each inserted before the first listed DP-SGD row of larger σ (after the
    /// last DP-SGD row when none is larger), so the DP-SGD rows stay weakest first. A list without DP-SGD is returned as is.</summary>
    public static IReadOnlyList<GradientDefence> Merge(IReadOnlyList<GradientDefence> defences, IReadOnlyList<double> sigmas)
    {
        ArgumentNullException.ThrowIfNull(defences);
        ArgumentNullException.ThrowIfNull(sigmas);
        if (defences.OfType<DpSgdDefence>().FirstOrDefault() is not { } template) return defences;
        var list = defences.ToList();
        foreach (var s in sigmas.Order())
        {
            if (list.OfType<DpSgdDefence>().Any(d => d.Clip == template.Clip && d.Sigma == s)) continue;
            var at = list.FindIndex(d => d is DpSgdDefence dp && dp.Sigma > s);
            var row = template with { Sigma = s };
            if (at >= 0) list.Insert(at, row);
            else list.Insert(list.FindLastIndex(d => d is DpSgdDefence) + 1, row);
        }
        return list;
    }

    /// <summary>The smallest σ from which every DP-SGD row (this σ and all larger ones) has a mean PSNR within
    /// <see cref="FloorMarginDb"/> of <paramref name="floorPsnr"/>; null when the largest σ is still above it or there is no row.</summary>
    public static double? FloorReachedAt(IReadOnlyList<(double Sigma, double Psnr)> rows, double floorPsnr)
    {
        ArgumentNullException.ThrowIfNull(rows);
        double? at = null;
        foreach (var (sigma, psnr) in rows.OrderByDescending(r => r.Sigma))
        {
            if (!(psnr <= floorPsnr + FloorMarginDb)) break;
            at = sigma;
        }
        return at;
    }
}
