using OnnxAudit.Audits;
using OnnxAudit.Audits.SplitInversion;
using OnnxAudit.Graph;
using OnnxAudit.Metrics;

namespace OnnxAudit.Tests.Audits.SplitInversion;

/// <summary>The quick split verdict is provisional and never lower than its own evidence supports (issue 13).</summary>
public sealed class SplitVerdictQuickTests
{
    private static SplitPointResult Point(string label, double psnr, double ssim, SplitThresholds t)
    {
        var p = new SplitPoint("/" + label + "/out", [1, 8], 8, 1, 0, label, [0], label);
        var outcome = new AttackOutcome(SplitAttack.BlackBox, "", [psnr], [ssim], new Interval(psnr, psnr - 0.5, psnr + 0.5, 0.95),
            new Interval(ssim, ssim - 0.02, ssim + 0.02, 0.95), psnr >= t.Psnr || ssim >= t.Ssim, [new float[4]], 0);
        return new SplitPointResult(p, 1, DepthClass.Fc1, [outcome], outcome.Unsafe);
    }

    private static SplitInversionResult Result(bool quick, params (string Label, double Psnr, double Ssim)[] points)
    {
        var t = SplitThresholds.Default;
        var list = points.Select(p => Point(p.Label, p.Psnr, p.Ssim, t)).ToList();
        return new SplitInversionResult("m.onnx", "d", "aux", 10, (1, 2, 2), [0], [new float[4]], list, t, SplitInversionResult.Recommend(list), 1, quick);
    }

    // fcn-512 as measured in its quick report (seed 1): flatten white-box 56.2 dB (unsafe), fc1 black-box 16.69 dB /
    // SSIM 0.502 (unsafe), relu1 black-box 16.05 dB / SSIM 0.460 — below the thresholds, but within the quick margin;
    // the full run finds relu1 unsafe (black-box 20.19 dB / SSIM 0.689) and says HIGH.
    private static readonly (string, double, double)[] Fcn512Quick = [("flatten", 56.2, 0.996), ("fc1", 16.69, 0.502), ("relu1", 16.05, 0.460)];

    [Fact]
    public void Quick_Fcn512Evidence_IsHigh_LikeTheFullRun()
    {
        var full = SplitVerdict.Of(Result(quick: false, Fcn512Quick));
        Assert.Equal(Risk.Medium, full.Risk); // the old rule on quick evidence: "split at relu1 or later"
        var quick = SplitVerdict.Of(Result(quick: true, Fcn512Quick));
        Assert.Equal(Risk.High, quick.Risk);
        Assert.Contains("quick run (provisional)", quick.Rule, StringComparison.Ordinal);
        Assert.StartsWith("Quick run:", quick.Sentence, StringComparison.Ordinal);
    }

    [Fact]
    public void Quick_NothingNearTheThresholds_IsAtLeastMedium_FullIsLow()
    {
        (string, double, double)[] weak = [("a", 9, 0.1), ("b", 8, 0.05)];
        Assert.Equal(Risk.Low, SplitVerdict.Of(Result(quick: false, weak)).Risk);
        Assert.Equal(Risk.Medium, SplitVerdict.Of(Result(quick: true, weak)).Risk);
    }

    [Fact]
    public void QuickUnsafe_UsesTheUpperBoundAndTheMargin()
    {
        var t = SplitThresholds.Default;
        Assert.True(SplitVerdict.QuickUnsafe(Point("p", 16.6, 0.1, t), t));   // upper bound 17.1 ≥ 20 − 3
        Assert.False(SplitVerdict.QuickUnsafe(Point("p", 16.4, 0.1, t), t));  // upper bound 16.9 < 17
        Assert.True(SplitVerdict.QuickUnsafe(Point("p", 10, 0.39, t), t));   // SSIM upper bound 0.41 ≥ 0.5 − 0.1
    }
}
