using OnnxAudit.Metrics;

namespace OnnxAudit.Audits.Federated;

/// <summary>Scores of one attack on one batch after Hungarian matching (on pixel MSE) of reconstructions to true images.</summary>
/// <param name="Psnr">Per true sample, PSNR (peak 1, capped at 150 dB) of its matched reconstruction.</param>
/// <param name="Ssim">Per true sample, SSIM (NaN when the image is smaller than the 11×11 window).</param>
/// <param name="Match">Per true sample, the index of the matched reconstruction.</param>
/// <param name="LabelAccuracy">Multiset label accuracy |true ∩ inferred| / M.</param>
public sealed record ReconstructionScore(double[] Psnr, double[] Ssim, int[] Match, double LabelAccuracy)
{
    /// <summary>Mean PSNR over the batch.</summary>
    public double MeanPsnr => Psnr.Average();

    /// <summary>Mean SSIM over the samples where it is defined (NaN if none).</summary>
    public double MeanSsim => Ssim.Where(double.IsFinite).DefaultIfEmpty(double.NaN).Average();

    /// <summary>PSNR cap for exact recoveries.</summary>
    public const double PsnrCap = 150;

    /// <summary>Matches and scores; <paramref name="truth"/> and <paramref name="images"/> are M×(C·H·W).</summary>
    public static ReconstructionScore Compute(float[] truth, float[] images, IReadOnlyList<long> trueLabels, IReadOnlyList<long> labels, IReadOnlyList<long> sampleDims)
    {
        ArgumentNullException.ThrowIfNull(truth);
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(sampleDims);
        var per = (int)sampleDims.Aggregate(1L, (a, b) => a * b);
        var m = truth.Length / per;
        var r = images.Length / per;
        var cost = new double[m, r];
        for (var t = 0; t < m; t++)
            for (var j = 0; j < r; j++)
                cost[t, j] = Math.Min(1e6, ImageMetrics.Mse(truth.AsSpan(t * per, per), images.AsSpan(j * per, per)));
        var match = Hungarian.Solve(cost);
        var psnr = new double[m];
        var ssim = new double[m];
        var okSsim = sampleDims.Count == 3 && sampleDims[1] >= ImageMetrics.SsimWindow && sampleDims[2] >= ImageMetrics.SsimWindow;
        for (var t = 0; t < m; t++)
        {
            if (match[t] < 0) { psnr[t] = 0; ssim[t] = double.NaN; continue; }
            var a = truth.AsSpan(t * per, per);
            var b = images.AsSpan(match[t] * per, per);
            psnr[t] = Math.Min(PsnrCap, ImageMetrics.Psnr(a, b));
            ssim[t] = okSsim ? ImageMetrics.Ssim(a, b, (int)sampleDims[0], (int)sampleDims[1], (int)sampleDims[2]) : double.NaN;
        }
        return new ReconstructionScore(psnr, ssim, match, LabelInference.MultisetAccuracy(trueLabels, labels));
    }
}
