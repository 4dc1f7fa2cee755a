using System.Globalization;

namespace OnnxAudit.Audits.RConv;

/// <summary>Counts the R-CONV gradient and forward constraints of a conv layer (pure arithmetic, thread-safe).</summary>
public static class RConvConditions
{
    /// <summary>Evaluates the conditions of one layer.</summary>
    /// <param name="g">The layer geometry.</param>
    /// <param name="following">The activation after the conv (null when the consumer is not an activation).</param>
    /// <param name="followingOpType">Op type of the consumer, for the table ("none" at a graph output).</param>
    public static RConvLayerCondition Evaluate(ConvGeometry g, RConvActivation? following, string followingOpType)
    {
        long k2 = (long)g.KernelH * g.KernelW;
        long hw = (long)g.InH * g.InW;
        long ohw = (long)g.OutH * g.OutW;
        long x = g.InChannels * hw;
        long a = g.OutChannels * ohw;
        long b = k2 * g.ChannelsPerGroup * g.OutChannels;
        // why: DESIGN.md R-CONV: the |B| = K²·N·F weight-gradient equations split into N independent systems
        // (equation ∂W[f,n,k,l] only involves input channel n), each with F·K² rows in the H·W pixels of channel n.
        // With groups, channel n only meets the F/G filters of its group.
        long rows = g.FiltersPerGroup * k2;
        // why: found while testing (not in the papers): row (f,k,l) only touches pixels i ≡ Dh·k − Pt (mod Sh),
        // j ≡ Dw·l − Pl (mod Sw), so with stride the per-channel system is block-diagonal over Sh·Sw phases and
        // F·K² ≥ H·W is not enough: each phase needs F·(its taps) ≥ (its pixels). E.g. cnn6 conv2 (k3 s2 p1, 14×14):
        // the (even, even) phase has 1 tap, so 32 rows for 49 pixels.
        var phases = Phases(g);
        var tight = phases.OrderBy(ph => (double)(g.FiltersPerGroup * ph.Taps) / ph.Pixels).First();
        long undetermined = g.InChannels * phases.Sum(ph => Math.Max(0L, ph.Pixels - (g.FiltersPerGroup * ph.Taps)));
        bool gradient = rows >= hw && undetermined == 0;
        bool forwardCount = g.FiltersPerGroup * ohw >= g.ChannelsPerGroup * hw;
        bool invertible = following?.IsInvertible ?? false;
        // why: R-CONV slides, "Mitigate the risk of gradient attacks": |X| > |A| + |B|, with |A|, |B| the totals above.
        bool mitigation = x > a + b;

        // largest F per group with F·K² < H·W and (when the forward path is usable) F·Oh·Ow < (N/G)·H·W
        long perGroupGrad = phases.Any(ph => ph.Taps == 0) ? long.MaxValue / 4 : phases.Max(ph => (ph.Pixels - 1) / ph.Taps);
        perGroupGrad = Math.Max(perGroupGrad, (hw - 1) / k2);
        long perGroupFwd = invertible ? ((g.ChannelsPerGroup * hw) - 1) / ohw : long.MaxValue;
        int maxSafe = (int)Math.Min(int.MaxValue, g.Groups * Math.Min(int.MaxValue, Math.Min(perGroupGrad, perGroupFwd)));
        long perFilterCost = ohw + (k2 * g.ChannelsPerGroup);
        long maxMit = (x - 1) / perFilterCost;
        int maxMitigation = (int)(maxMit / g.Groups * g.Groups);

        bool combined = invertible && undetermined > 0 && undetermined < g.ChannelsPerGroup * hw * g.Groups && a >= undetermined;
        var verdict = gradient ? RConvVerdict.LeaksThroughGradientConstraints
            : forwardCount && invertible ? RConvVerdict.LeaksThroughForwardConstraints
            : combined ? RConvVerdict.LeaksThroughCombinedConstraints
            : RConvVerdict.SafeByCounting;
        var grp = g.Groups == 1 ? "" : string.Create(CultureInfo.InvariantCulture, $" per group of {g.ChannelsPerGroup} channel(s)/{g.FiltersPerGroup} filter(s)");
        var gradText = string.Create(CultureInfo.InvariantCulture,
            $"gradient F·Kh·Kw = {g.FiltersPerGroup}·{g.KernelH}·{g.KernelW} = {rows} {(gradient ? "≥" : "<")} H·W = {hw} per channel{grp}");
        if (rows >= hw && undetermined > 0)
            gradText += string.Create(CultureInfo.InvariantCulture,
                $", but stride phases leave {undetermined} unknowns free (tightest phase {g.FiltersPerGroup * tight.Taps} rows < {tight.Pixels} pixels)");
        var fwdText = string.Create(CultureInfo.InvariantCulture,
            $"forward F·Oh·Ow = {a} {(forwardCount ? "≥" : "<")} N·H·W = {x}, following {followingOpType} {(invertible ? "invertible" : "not invertible")}");
        var text = verdict switch
        {
            RConvVerdict.LeaksThroughGradientConstraints => $"leaks: {gradText}",
            RConvVerdict.LeaksThroughForwardConstraints => $"leaks via forward constraints: {gradText}; {fwdText}",
            RConvVerdict.LeaksThroughCombinedConstraints => $"leaks via gradient + forward constraints: {gradText}; {fwdText} ≥ {undetermined} free unknowns",
            _ => $"safe by counting: {gradText}; {fwdText}",
        };
        return new RConvLayerCondition(g, following, followingOpType, x, a, b, rows, hw, gradient, g.FiltersPerGroup * tight.Taps, tight.Pixels, undetermined, forwardCount, invertible,
            mitigation, maxSafe, maxMitigation, verdict, text);
    }

    /// <summary>Stride phases of one channel: taps (k,l) and pixels (i,j) with the same residues mod (Sh, Sw).</summary>
    internal static IReadOnlyList<(long Taps, long Pixels)> Phases(ConvGeometry g)
    {
        var list = new List<(long, long)>();
        static int Mod(int v, int m) => ((v % m) + m) % m;
        for (var ri = 0; ri < g.StrideH; ri++)
            for (var rj = 0; rj < g.StrideW; rj++)
            {
                long ti = Enumerable.Range(0, g.KernelH).Count(k => Mod((k * g.DilationH) - g.PadTop, g.StrideH) == ri);
                long tj = Enumerable.Range(0, g.KernelW).Count(l => Mod((l * g.DilationW) - g.PadLeft, g.StrideW) == rj);
                long pi = Enumerable.Range(0, g.InH).Count(i => i % g.StrideH == ri);
                long pj = Enumerable.Range(0, g.InW).Count(j => j % g.StrideW == rj);
                if (pi * pj > 0) list.Add((ti * tj, pi * pj));
            }
        return list;
    }
}
