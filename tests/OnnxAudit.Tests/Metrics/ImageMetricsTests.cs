using System.Text.Json;
using OnnxAudit.Data;
using OnnxAudit.Metrics;
using OnnxAudit.Tests.TestUtil;

namespace OnnxAudit.Tests.Metrics;

public sealed class ImageMetricsTests
{
    public static TheoryData<string> Cases()
    {
        var data = new TheoryData<string>();
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(RepoPaths.Reference, "metrics", "cases.json")));
        foreach (var c in doc.RootElement.GetProperty("cases").EnumerateArray()) data.Add(c.GetProperty("name").GetString()!);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Metrics_MatchNumpyReference(string name)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(RepoPaths.Reference, "metrics", "cases.json")));
        var c = doc.RootElement.GetProperty("cases").EnumerateArray().Single(e => e.GetProperty("name").GetString() == name);
        var dir = Path.Combine(RepoPaths.Reference, "metrics");
        var (x, shape) = NpyReader.ReadFloat32(Path.Combine(dir, c.GetProperty("x").GetString()!));
        var (y, _) = NpyReader.ReadFloat32(Path.Combine(dir, c.GetProperty("y").GetString()!));
        int ch = (int)shape[0], h = (int)shape[1], w = (int)shape[2];

        var mse = ImageMetrics.Mse(x, y);
        Numerics.AssertClose(expected: c.GetProperty("mse").GetDouble(), actual: mse, atol: 1e-12, rtol: c.GetProperty("tol_mse_rtol").GetDouble(), what: "mse");
        var psnr = ImageMetrics.Psnr(x, y);
        if (c.GetProperty("psnr").ValueKind == JsonValueKind.String)
        {
            Assert.Equal("inf", c.GetProperty("psnr").GetString());
            Assert.Equal(double.PositiveInfinity, psnr);
        }
        else
        {
            Numerics.AssertClose(expected: c.GetProperty("psnr").GetDouble(), actual: psnr, atol: 1e-5, rtol: 0, what: "psnr");
        }
        var ssim = ImageMetrics.Ssim(x, y, ch, h, w);
        Numerics.AssertClose(expected: c.GetProperty("ssim").GetDouble(), actual: ssim, atol: c.GetProperty("tol_ssim_atol").GetDouble(), rtol: 0, what: "ssim");
    }

    [Fact]
    public void Psnr_OfKnownMse_IsTenLog10Inverse()
    {
        Assert.Equal(20.0, ImageMetrics.PsnrFromMse(0.01), 12);
        Assert.Equal(60.0, ImageMetrics.PsnrFromMse(1e-6), 12);
        Assert.Equal(0.0, ImageMetrics.PsnrFromMse(1.0), 12);
        // peak 255 on [0,1] data inflates PSNR by 20·log10(255) ≈ 48.13 dB (the R-CONV code's convention)
        Assert.Equal(20 * Math.Log10(255), ImageMetrics.PsnrFromMse(0.01, peak: 255) - ImageMetrics.PsnrFromMse(0.01), 9);
        Assert.Equal(double.PositiveInfinity, ImageMetrics.PsnrFromMse(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => ImageMetrics.PsnrFromMse(-1));
    }

    [Fact]
    public void Mse_HandCase()
    {
        // differences 0.5, 0, −0.25, 0.25 → (0.25 + 0 + 0.0625 + 0.0625)/4 = 0.09375
        Assert.Equal(0.09375, ImageMetrics.Mse([1f, 0.5f, 0f, 0.25f], [0.5f, 0.5f, 0.25f, 0f]), 12);
        Assert.Throws<ArgumentException>(() => ImageMetrics.Mse([1f], [1f, 2f]));
    }

    [Fact]
    public void Ssim_IdenticalImages_IsOne()
    {
        var rng = new Random(2);
        var a = Enumerable.Range(0, 3 * 16 * 12).Select(_ => (float)rng.NextDouble()).ToArray();
        Numerics.AssertClose(expected: 1.0, actual: ImageMetrics.Ssim(a, a, 3, 16, 12), atol: 1e-12, rtol: 0);
    }

    [Theory]
    [InlineData(0.2f, 0.7f)]
    [InlineData(0f, 1f)]
    [InlineData(0.5f, 0.5f)]
    public void Ssim_ConstantImages_EqualsLuminanceTerm(float a, float b)
    {
        // constant images: every local variance/covariance is 0, so SSIM = (2ab + C1)/(a² + b² + C1), C1 = 0.01²
        var x = Enumerable.Repeat(a, 13 * 11).ToArray();
        var y = Enumerable.Repeat(b, 13 * 11).ToArray();
        const double c1 = 1e-4;
        var expected = (2.0 * a * b + c1) / ((double)a * a + (double)b * b + c1);
        Numerics.AssertClose(expected: expected, actual: ImageMetrics.Ssim(x, y, 1, 13, 11), atol: 1e-9, rtol: 0);
    }

    [Fact]
    public void Ssim_IsSymmetric_AndBelowOneForShiftedImage()
    {
        var rng = new Random(4);
        var x = Enumerable.Range(0, 20 * 20).Select(_ => (float)rng.NextDouble()).ToArray();
        var y = x.Select(v => Math.Clamp(v + 0.1f, 0f, 1f)).ToArray();
        var s1 = ImageMetrics.Ssim(x, y, 1, 20, 20);
        var s2 = ImageMetrics.Ssim(y, x, 1, 20, 20);
        Assert.Equal(s1, s2, 12);
        Assert.InRange(s1, 0.5, 1.0 - 1e-6);
    }

    [Fact]
    public void Ssim_ImageSmallerThanWindow_Throws()
    {
        var ex = Assert.Throws<ArgumentException>(() => ImageMetrics.Ssim(new float[100], new float[100], 1, 10, 10));
        Assert.Contains("at least 11×11", ex.Message);
    }
}
