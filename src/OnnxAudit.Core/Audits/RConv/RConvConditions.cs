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
        bool gradient = rows >= hw;
        bool forwardCount = g.FiltersPerGroup * ohw >= g.ChannelsPerGroup * hw;
        bool invertible = following?.IsInvertible ?? false;
        // why: R-CONV slides, "Mitigate the risk of gradient attacks": |X| > |A| + |B|, with |A|, |B| the totals above.
        bool mitigation = x > a + b;

        // largest F per group with F·K² < H·W and (when the forward path is usable) F·Oh·Ow < (N/G)·H·W
        long perGroupGrad = (hw - 1) / k2;
        long perGroupFwd = invertible ? ((g.ChannelsPerGroup * hw) - 1) / ohw : long.MaxValue;
        int maxSafe = (int)Math.Min(int.MaxValue, g.Groups * Math.Min(perGroupGrad, perGroupFwd));
        long perFilterCost = ohw + (k2 * g.ChannelsPerGroup);
        long maxMit = (x - 1) / perFilterCost;
        int maxMitigation = (int)(maxMit / g.Groups * g.Groups);

        var verdict = gradient ? RConvVerdict.LeaksThroughGradientConstraints
            : forwardCount && invertible ? RConvVerdict.LeaksThroughForwardConstraints
            : RConvVerdict.SafeByCounting;
        var grp = g.Groups == 1 ? "" : string.Create(CultureInfo.InvariantCulture, $" per group of {g.ChannelsPerGroup} channel(s)/{g.FiltersPerGroup} filter(s)");
        var gradText = string.Create(CultureInfo.InvariantCulture,
            $"gradient F·Kh·Kw = {g.FiltersPerGroup}·{g.KernelH}·{g.KernelW} = {rows} {(gradient ? "≥" : "<")} H·W = {hw} per channel{grp}");
        var fwdText = string.Create(CultureInfo.InvariantCulture,
            $"forward F·Oh·Ow = {a} {(forwardCount ? "≥" : "<")} N·H·W = {x}, following {followingOpType} {(invertible ? "invertible" : "not invertible")}");
        var text = verdict switch
        {
            RConvVerdict.LeaksThroughGradientConstraints => $"leaks: {gradText}",
            RConvVerdict.LeaksThroughForwardConstraints => $"leaks via forward constraints: {gradText}; {fwdText}",
            _ => $"safe by counting: {gradText}; {fwdText}",
        };
        return new RConvLayerCondition(g, following, followingOpType, x, a, b, rows, hw, gradient, forwardCount, invertible,
            mitigation, maxSafe, maxMitigation, verdict, text);
    }
}
