using OnnxAudit.Audits.RConv;

namespace OnnxAudit.Tests.Audits.RConv;

public class RConvConditionsTests
{
    [Fact]
    public void WorkedCheck_RConvLeNet_MatchesDesignNumbers()
    {
        var net = RConvNetwork.FromModel(ChainModelBuilder.RConvLeNet());
        var rows = net.Conditions();
        Assert.Equal(4, rows.Count);
        Assert.NotNull(net.Head);

        // layer 1 (3→12, S 2, H 32): gradient 12·25 = 300 < 1024 per channel; forward 12·16² = 3072 = 3·32²
        var l1 = rows[0];
        Assert.Equal((3, 12, 32, 32, 16, 16), (l1.Geometry.InChannels, l1.Geometry.OutChannels, l1.Geometry.InH, l1.Geometry.InW, l1.Geometry.OutH, l1.Geometry.OutW));
        Assert.Equal(300, l1.RowsPerChannel);
        Assert.Equal(1024, l1.UnknownsPerChannel);
        Assert.False(l1.GradientConditionHolds);
        Assert.Equal(3072, l1.ForwardConstraintsA);
        Assert.Equal(3072, l1.UnknownsX);
        Assert.Equal(25 * 3 * 12, l1.GradientConstraintsB);
        Assert.True(l1.ForwardCountHolds);
        Assert.True(l1.ActivationInvertible);
        Assert.Equal(RConvVerdict.LeaksThroughForwardConstraints, l1.Verdict);
        Assert.False(l1.MitigationRuleHolds); // 3072 > 3072 + 900 is false
        Assert.Equal(11, l1.MaxSafeFilters); // 11·256 = 2816 < 3072 and 11·25 < 1024; 12 is exactly determined
        Assert.Equal(9, l1.MaxFiltersMitigationRule); // F·(256 + 75) < 3072 → F ≤ 9

        // layer 2 (12→16, S 2, H 16): 400 ≥ 256
        Assert.Equal((16, 16, 8), (rows[1].Geometry.InH, rows[1].Geometry.OutChannels, rows[1].Geometry.OutH));
        Assert.Equal((400L, 256L), (rows[1].RowsPerChannel, rows[1].UnknownsPerChannel));
        Assert.Equal(RConvVerdict.LeaksThroughGradientConstraints, rows[1].Verdict);
        // layer 3 (16→12, S 1, H 8): 300 ≥ 64
        Assert.Equal((300L, 64L), (rows[2].RowsPerChannel, rows[2].UnknownsPerChannel));
        Assert.Equal(8, rows[2].Geometry.OutH);
        Assert.True(rows[2].GradientConditionHolds);
        // layer 4 (12→3, S 1, H 8): 75 ≥ 64
        Assert.Equal((75L, 64L), (rows[3].RowsPerChannel, rows[3].UnknownsPerChannel));
        Assert.True(rows[3].GradientConditionHolds);
        Assert.Equal(2, rows[3].MaxSafeFilters); // 2·25 = 50 < 64; 3 filters give 75 ≥ 64
        Assert.Contains("75 ≥ H·W = 64", rows[3].Explanation);
        Assert.Contains("300 < H·W = 1024", l1.Explanation);
    }

    [Fact]
    public void Relu_AfterShortLayer_IsSafeByCounting()
    {
        var net = RConvNetwork.FromModel(ChainModelBuilder.RConvLeNet("Relu"));
        var l1 = net.Conditions()[0];
        Assert.False(l1.ActivationInvertible);
        Assert.False(l1.ForwardConditionHolds);
        Assert.Equal(RConvVerdict.SafeByCounting, l1.Verdict);
        // only the gradient condition binds; by stride phase the (odd, odd) phase has 2×2 taps for 16×16 pixels,
        // so up to 63 filters leave it short (63·4 = 252 < 256), more than the plain count 40·25 = 1000 < 1024
        Assert.Equal(63, l1.MaxSafeFilters);
        Assert.Contains("not invertible", l1.Explanation);
    }

    [Fact]
    public void Grouped_And_Depthwise_CountPerGroup()
    {
        // depthwise 8→8 k3 s1 p1 on 4×4: each channel meets 1 filter: 9 < 16; forward 1·16 ≥ 1·16
        var dw = ConvGeometry.Create("dw", "w", null, 8, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 8, 4, 4);
        var c = RConvConditions.Evaluate(dw, new RConvActivation(RConvActivationKind.Tanh, 0, "t"), "Tanh");
        Assert.Equal(9, c.RowsPerChannel);
        Assert.Equal(16, c.UnknownsPerChannel);
        Assert.Equal(9 * 1 * 8, c.GradientConstraintsB);
        Assert.Equal(RConvVerdict.LeaksThroughForwardConstraints, c.Verdict);
        Assert.Equal(0, c.MaxSafeFilters); // forward is exactly determined with 1 filter per group: no safe F
        // groups 2: 8→16 k3 on 4×4: 8 filters/group · 9 = 72 ≥ 16
        var g2 = ConvGeometry.Create("g2", "w", null, 8, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 2, 4, 4);
        var c2 = RConvConditions.Evaluate(g2, null, "MaxPool");
        Assert.Equal(72, c2.RowsPerChannel);
        Assert.Equal(9 * 4 * 16, c2.GradientConstraintsB);
        Assert.Equal(2, c2.MaxSafeFilters); // 1 filter per group: 9 < 16
        Assert.Contains("per group", c2.Explanation);
    }

    [Theory]
    [InlineData(28, 3, 2, 1, 1, 14)]
    [InlineData(28, 5, 1, 2, 1, 28)]
    [InlineData(14, 5, 1, 0, 1, 10)]
    [InlineData(32, 5, 2, 2, 1, 16)]
    [InlineData(10, 3, 1, 0, 2, 6)]
    public void OutputSize_FollowsOnnxConvFormula(int input, int k, int s, int p, int d, int expected)
        => Assert.Equal(expected, ConvGeometry.OutputSize(input, k, s, p, p, d));
}
