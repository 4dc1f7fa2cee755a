using OnnxAudit.Audits.SplitInversion;
using OnnxAudit.Graph;
using OnnxAudit.Metrics;

namespace OnnxAudit.Tests.Audits.SplitInversion;

/// <summary>Hand-built split-inversion results: one white-box attack per point, unsafe points at 35 dB, safe ones at 12 dB.</summary>
internal static class SplitResults
{
    public static SplitInversionResult Build(params bool[] unsafePoints)
    {
        var points = unsafePoints.Select((u, i) =>
        {
            var point = new SplitPoint($"t{i}", [1, 4, 7, 7], 196, 4, i, $"layer{i}", [.. Enumerable.Range(0, i + 1)], $"layer{i}");
            var psnr = u ? 35.0 : 12.0;
            var ssim = u ? 0.97 : 0.2;
            var attack = new AttackOutcome(SplitAttack.WhiteBox, "test", [psnr], [ssim], new Interval(psnr, psnr, psnr, 0.95),
                new Interval(ssim, ssim, ssim, 0.95), u, [new float[4]], 0.1);
            return new SplitPointResult(point, i + 1, DepthClass.Conv1, [attack], u);
        }).ToList();
        return new SplitInversionResult("model.onnx", "data", "aux", 10, (1, 2, 2), [0], [new float[4]], points, SplitThresholds.Default,
            SplitInversionResult.Recommend(points), 1, Quick: false);
    }
}
