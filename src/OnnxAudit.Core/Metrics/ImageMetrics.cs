using System.Numerics.Tensors;

namespace OnnxAudit.Metrics;

/// <summary>
/// Image similarity metrics for float images in [0,1] (data range 1): MSE, PSNR (peak 1) and SSIM.
/// Inputs are spans of equal length in C×H×W order; sums are accumulated in double. Stateless and thread-safe.
/// </summary>
public static class ImageMetrics
{
    /// <summary>Gaussian window size of SSIM (11, from σ = 1.5 and truncate = 3.5 as in skimage).</summary>
    public const int SsimWindow = 11;
    /// <summary>Gaussian window σ of SSIM.</summary>
    public const double SsimSigma = 1.5;
    /// <summary>SSIM stabiliser constant K1.</summary>
    public const double SsimK1 = 0.01;
    /// <summary>SSIM stabiliser constant K2.</summary>
    public const double SsimK2 = 0.03;

    private static readonly double[] GaussianKernel = BuildKernel();

    // MSE = (1/n) Σ (x_i − y_i)²
    /// <summary>Mean squared error over all values; 0 for empty inputs is not allowed.</summary>
    public static double Mse(ReadOnlySpan<float> x, ReadOnlySpan<float> y)
    {
        CheckPair(x, y);
        // why: TensorPrimitives.Distance returns sqrt(Σ(x−y)²) with SIMD accumulation in float; for long vectors
        // a float accumulator loses digits, so the sum is done in double blocks of 4096 (plain loop = MseReference).
        double sum = 0;
        const int block = 4096;
        for (var i = 0; i < x.Length; i += block)
        {
            var len = Math.Min(block, x.Length - i);
            double d = TensorPrimitives.Distance(x.Slice(i, len), y.Slice(i, len));
            sum += d * d;
        }
        return sum / x.Length;
    }

    /// <summary>Plain-loop MSE in double (the test oracle for <see cref="Mse"/>).</summary>
    public static double MseReference(ReadOnlySpan<float> x, ReadOnlySpan<float> y)
    {
        CheckPair(x, y);
        double sum = 0;
        for (var i = 0; i < x.Length; i++)
        {
            double d = (double)x[i] - y[i];
            sum += d * d;
        }
        return sum / x.Length;
    }

    // PSNR = 10·log10(peak² / MSE)
    /// <summary>PSNR in dB for a given MSE and peak (default 1 for data in [0,1]); MSE = 0 gives +∞ (callers format it).</summary>
    public static double PsnrFromMse(double mse, double peak = 1.0)
    {
        if (mse < 0 || double.IsNaN(mse)) throw new ArgumentOutOfRangeException(nameof(mse), mse, "MSE must be ≥ 0");
        // why: DESIGN.md Metrics — peak 1 for images in [0,1] (the R-CONV code's peak 255 inflates PSNR by ~48 dB).
        return mse == 0 ? double.PositiveInfinity : 10.0 * Math.Log10(peak * peak / mse);
    }

    /// <summary>PSNR in dB (peak 1) between two images; identical images give <see cref="double.PositiveInfinity"/>.</summary>
    public static double Psnr(ReadOnlySpan<float> x, ReadOnlySpan<float> y, double peak = 1.0) => PsnrFromMse(Mse(x, y), peak);

    /// <summary>
    /// Mean SSIM (Wang et al. 2004) of two C×H×W images, averaged over channels. Convention = scikit-image
    /// <c>structural_similarity(gaussian_weights=True, sigma=1.5, use_sample_covariance=False, data_range=1)</c>:
    /// local statistics by a separable Gaussian filter (σ 1.5, radius 5, normalised) with 'reflect' boundary handling
    /// (scipy.ndimage: d c b a | a b c d | d c b a) over the whole image, then the SSIM map is averaged over the valid
    /// region only (a 5-pixel border is cropped). Requires H, W ≥ 11.
    /// </summary>
    public static double Ssim(ReadOnlySpan<float> x, ReadOnlySpan<float> y, int channels, int height, int width, double dataRange = 1.0)
    {
        CheckPair(x, y);
        if (channels < 1 || height < SsimWindow || width < SsimWindow)
        {
            throw new ArgumentException($"SSIM needs images of at least {SsimWindow}×{SsimWindow} pixels (Gaussian window {SsimWindow}), got {channels}×{height}×{width}");
        }
        if ((long)channels * height * width != x.Length) throw new ArgumentException($"length {x.Length} is not {channels}×{height}×{width}");
        var plane = height * width;
        double total = 0;
        for (var c = 0; c < channels; c++)
        {
            total += SsimPlane(x.Slice(c * plane, plane), y.Slice(c * plane, plane), height, width, dataRange);
        }
        return total / channels;
    }

    // SSIM map = ((2μxμy + C1)(2σxy + C2)) / ((μx² + μy² + C1)(σx² + σy² + C2)), C1 = (K1·L)², C2 = (K2·L)²
    private static double SsimPlane(ReadOnlySpan<float> x, ReadOnlySpan<float> y, int h, int w, double range)
    {
        var n = h * w;
        double[] xs = new double[n], ys = new double[n], xx = new double[n], yy = new double[n], xy = new double[n];
        for (var i = 0; i < n; i++)
        {
            double a = x[i], b = y[i];
            xs[i] = a;
            ys[i] = b;
            xx[i] = a * a;
            yy[i] = b * b;
            xy[i] = a * b;
        }
        var tmp = new double[n];
        double[] ux = Filter(xs, tmp, h, w), uy = Filter(ys, tmp, h, w), uxx = Filter(xx, tmp, h, w),
            uyy = Filter(yy, tmp, h, w), uxy = Filter(xy, tmp, h, w);
        double c1 = SsimK1 * range * (SsimK1 * range), c2 = SsimK2 * range * (SsimK2 * range);
        var pad = (SsimWindow - 1) / 2;
        double sum = 0;
        var count = 0;
        for (var r = pad; r < h - pad; r++)
        {
            for (var col = pad; col < w - pad; col++)
            {
                var i = r * w + col;
                // why: skimage with gaussian_weights=True uses cov_norm = 1 (population covariance).
                double vx = uxx[i] - ux[i] * ux[i], vy = uyy[i] - uy[i] * uy[i], vxy = uxy[i] - ux[i] * uy[i];
                var s = (2 * ux[i] * uy[i] + c1) * (2 * vxy + c2) / ((ux[i] * ux[i] + uy[i] * uy[i] + c1) * (vx + vy + c2));
                sum += s;
                count++;
            }
        }
        return sum / count;
    }

    // Separable Gaussian: rows then columns, reflect boundary (index −1 → 0, −2 → 1, n → n−1).
    private static double[] Filter(double[] src, double[] tmp, int h, int w)
    {
        var k = GaussianKernel;
        var r = k.Length / 2;
        for (var row = 0; row < h; row++)
        {
            for (var col = 0; col < w; col++)
            {
                double s = 0;
                for (var t = -r; t <= r; t++) s += k[t + r] * src[row * w + Reflect(col + t, w)];
                tmp[row * w + col] = s;
            }
        }
        var dst = new double[h * w];
        for (var row = 0; row < h; row++)
        {
            for (var col = 0; col < w; col++)
            {
                double s = 0;
                for (var t = -r; t <= r; t++) s += k[t + r] * tmp[Reflect(row + t, h) * w + col];
                dst[row * w + col] = s;
            }
        }
        return dst;
    }

    private static int Reflect(int i, int n)
    {
        var period = 2 * n;
        i %= period;
        if (i < 0) i += period;
        return i < n ? i : period - 1 - i;
    }

    private static double[] BuildKernel()
    {
        // why: scipy.ndimage.gaussian_filter radius = int(truncate·σ + 0.5) = int(3.5·1.5 + 0.5) = 5 → 11 taps.
        var r = (SsimWindow - 1) / 2;
        var k = new double[SsimWindow];
        double sum = 0;
        for (var t = -r; t <= r; t++)
        {
            k[t + r] = Math.Exp(-0.5 * t * t / (SsimSigma * SsimSigma));
            sum += k[t + r];
        }
        for (var i = 0; i < k.Length; i++) k[i] /= sum;
        return k;
    }

    private static void CheckPair(ReadOnlySpan<float> x, ReadOnlySpan<float> y)
    {
        if (x.Length != y.Length) throw new ArgumentException($"images differ in length: {x.Length} vs {y.Length}");
        if (x.Length == 0) throw new ArgumentException("images are empty");
    }
}
