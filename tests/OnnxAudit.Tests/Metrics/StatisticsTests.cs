using OnnxAudit.Metrics;
using OnnxAudit.Tests.TestUtil;

namespace OnnxAudit.Tests.Metrics;

public sealed class StatisticsTests
{
    [Fact]
    public void Wilson_FiveOfTen_HandDerived()
    {
        // p̂ = 0.5, z² = 3.8416: centre 0.5, half = 1.96/1.38416·sqrt(0.025 + 0.009604) = 0.263410
        var w = Statistics.WilsonInterval(5, 10);
        Numerics.AssertClose(expected: 0.5, actual: w.Estimate, atol: 0, rtol: 0);
        Numerics.AssertClose(expected: 0.236590, actual: w.Lower, atol: 2e-6, rtol: 0);
        Numerics.AssertClose(expected: 0.763410, actual: w.Upper, atol: 2e-6, rtol: 0);
        Numerics.AssertClose(expected: 0.95, actual: w.Level, atol: 1e-4, rtol: 0);
    }

    [Fact]
    public void Wilson_ZeroAndAll_HandDerived()
    {
        // 0/10: upper = 2·(z²/2n)/(1 + z²/n) = 0.38416/1.38416 = 0.277540
        var zero = Statistics.WilsonInterval(0, 10);
        Numerics.AssertClose(expected: 0, actual: zero.Lower, atol: 1e-12, rtol: 0);
        Numerics.AssertClose(expected: 0.277540, actual: zero.Upper, atol: 2e-6, rtol: 0);
        var all = Statistics.WilsonInterval(10, 10);
        Numerics.AssertClose(expected: 1 - 0.277540, actual: all.Lower, atol: 2e-6, rtol: 0);
        Numerics.AssertClose(expected: 1, actual: all.Upper, atol: 1e-12, rtol: 0);
        var empty = Statistics.WilsonInterval(0, 0);
        Assert.True(double.IsNaN(empty.Estimate));
        Assert.Equal((0.0, 1.0), (empty.Lower, empty.Upper));
        Assert.Throws<ArgumentOutOfRangeException>(() => Statistics.WilsonInterval(11, 10));
    }

    [Fact]
    public void Wilson_LargeN_ApproachesNormalInterval()
    {
        // 400/1000: Wald half-width 1.96·sqrt(0.24/1000) = 0.030364; Wilson differs by < 1e-3 here
        var w = Statistics.WilsonInterval(400, 1000);
        Numerics.AssertClose(expected: 0.4 - 0.030364, actual: w.Lower, atol: 1e-3, rtol: 0);
        Numerics.AssertClose(expected: 0.4 + 0.030364, actual: w.Upper, atol: 1e-3, rtol: 0);
    }

    [Fact]
    public void MeanConfidenceInterval_OneToFive_StudentT()
    {
        // mean 3, s = sqrt(2.5), t_{4, 0.975} = 2.776445 → half = 2.776445·1.581139/2.236068 = 1.963243
        var ci = Statistics.MeanConfidenceInterval([1, 2, 3, 4, 5]);
        Numerics.AssertClose(expected: 3, actual: ci.Estimate, atol: 1e-12, rtol: 0);
        Numerics.AssertClose(expected: 3 - 1.963243, actual: ci.Lower, atol: 2e-6, rtol: 0);
        Numerics.AssertClose(expected: 3 + 1.963243, actual: ci.Upper, atol: 2e-6, rtol: 0);
        // normal: 1.959964·0.707107 = 1.385904
        var n = Statistics.MeanConfidenceInterval([1, 2, 3, 4, 5], normal: true);
        Numerics.AssertClose(expected: 3 + 1.385904, actual: n.Upper, atol: 2e-6, rtol: 0);
        var one = Statistics.MeanConfidenceInterval([7]);
        Assert.Equal(7, one.Estimate);
        Assert.True(double.IsNaN(one.Lower) && double.IsNaN(one.Upper));
    }

    [Fact]
    public void Quartiles_LinearInterpolation_LikeNumpy()
    {
        // numpy.percentile([4, 1, 3, 2], [25, 50, 75]) = [1.75, 2.5, 3.25]
        var q = Statistics.Quartiles([4, 1, 3, 2]);
        Assert.Equal(new Quartiles(1, 1.75, 2.5, 3.25, 4), q);
        Assert.Equal(5.0, Statistics.Quantile([10, 0], 0.5));
        Assert.True(double.IsNaN(Statistics.Quartiles([]).Median));
    }

    [Fact]
    public void MeanAndStd_HandValues()
    {
        Assert.Equal(2.5, Statistics.Mean([1.0, 2, 3, 4]));
        Assert.Equal(2.5, Statistics.Mean([1f, 2f, 3f, 4f]));
        Assert.Equal(Math.Sqrt(5.0 / 3.0), Statistics.StandardDeviation([1, 2, 3, 4]), 12);
        Assert.True(double.IsNaN(Statistics.Mean(ReadOnlySpan<double>.Empty)));
    }
}
