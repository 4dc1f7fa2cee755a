using OnnxAudit.Audits.RConv;
using OnnxAudit.Tests.TestUtil;

namespace OnnxAudit.Tests.Audits.RConv;

public class ConvConstraintsTests
{
    private static double[] Rand(Random r, int n) => Enumerable.Range(0, n).Select(_ => (r.NextDouble() * 2) - 1).ToArray();
    private static float[] RandF(Random r, int n) => Enumerable.Range(0, n).Select(_ => (float)((r.NextDouble() * 2) - 1)).ToArray();
    private static double Dot(double[] a, double[] b) => a.Zip(b, (x, y) => x * y).Sum();

    public static TheoryData<ConvGeometry> Geometries() =>
    [
        ConvGeometry.Create("s2p2", "w", null, 3, 12, 5, 5, 2, 2, 2, 2, 2, 2, 1, 1, 1, 9, 8),
        ConvGeometry.Create("asym", "w", null, 2, 4, 3, 2, 1, 2, 1, 0, 0, 1, 1, 1, 1, 6, 7),
        ConvGeometry.Create("dil", "w", null, 2, 6, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2, 1, 7, 7),
        ConvGeometry.Create("grp", "w", null, 4, 6, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 2, 6, 6),
        ConvGeometry.Create("dw", "w", null, 3, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 3, 5, 5),
    ];

    [Theory, MemberData(nameof(Geometries))]
    public void InputGradient_IsAdjointOfForward(ConvGeometry g)
    {
        var r = new Random(1);
        var x = Rand(r, g.InChannels * g.InH * g.InW);
        var w = RandF(r, g.OutChannels * g.ChannelsPerGroup * g.KernelH * g.KernelW);
        var dO = Rand(r, g.OutChannels * g.OutH * g.OutW);
        var o = ConvConstraints.Forward(g, x, w, default);
        var dX = ConvConstraints.InputGradient(g, dO, w);
        Numerics.AssertClose(expected: Dot(o, dO), actual: Dot(x, dX), atol: 1e-9, rtol: 1e-12);
    }

    [Theory, MemberData(nameof(Geometries))]
    public void WeightGradient_MatchesDirectionalDerivativeOfForward(ConvGeometry g)
    {
        // <dO, conv(X; W)> is linear in W, so its derivative along E_idx is exactly the difference quotient.
        var r = new Random(2);
        var x = Rand(r, g.InChannels * g.InH * g.InW);
        var dO = Rand(r, g.OutChannels * g.OutH * g.OutW);
        var w0 = new float[g.OutChannels * g.ChannelsPerGroup * g.KernelH * g.KernelW];
        var dW = ConvConstraints.WeightGradient(g, x, dO);
        for (var idx = 0; idx < w0.Length; idx += 7)
        {
            var e = (float[])w0.Clone();
            e[idx] = 1;
            Numerics.AssertClose(expected: Dot(ConvConstraints.Forward(g, x, e, default), dO), actual: dW[idx], atol: 1e-12, rtol: 1e-12, what: $"dW[{idx}]");
        }
    }

    [Theory, MemberData(nameof(Geometries))]
    public void GradientMatrix_TimesInput_EqualsWeightGradient(ConvGeometry g)
    {
        var r = new Random(3);
        var x = Rand(r, g.InChannels * g.InH * g.InW);
        var dO = Rand(r, g.OutChannels * g.OutH * g.OutW);
        var dW = ConvConstraints.WeightGradient(g, x, dO).Select(v => (float)v).ToArray();
        var hw = g.InH * g.InW;
        for (var grp = 0; grp < g.Groups; grp++)
        {
            var a = ConvConstraints.GradientMatrix(g, dO, grp);
            var b = ConvConstraints.GradientRhs(g, dW, grp);
            for (var cl = 0; cl < g.ChannelsPerGroup; cl++)
            {
                var c = (grp * g.ChannelsPerGroup) + cl;
                var xc = MathNet.Numerics.LinearAlgebra.Vector<double>.Build.DenseOfArray(x[(c * hw)..((c + 1) * hw)]);
                Numerics.AssertClose(expected: b.Column(cl).ToArray(), actual: (a * xc).ToArray(), atol: 1e-5, rtol: 1e-5, what: $"channel {c}");
            }
        }
    }

    [Fact]
    public void SolveGradientSystem_RecoversInput_WithStridePaddingAndGroups()
    {
        // 2 groups, 10 filters/group, k3 s2 p1 on 6×6: 90 rows ≥ 36 pixels; the (even, even) phase has 1 tap:
        // 10 rows ≥ 9 pixels
        var g = ConvGeometry.Create("g", "w", null, 4, 20, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 2, 6, 6);
        var r = new Random(4);
        var x = Rand(r, g.InChannels * 36);
        var dO = Rand(r, g.OutChannels * g.OutH * g.OutW);
        var dW = ConvConstraints.WeightGradient(g, x, dO).Select(v => (float)v).ToArray();
        var s = RConvReconstructor.SolveGradientSystem(g, dO, dW, 1e-9);
        Assert.True(s.FullRank);
        Numerics.AssertClose(expected: x, actual: s.X, atol: 1e-5, rtol: 0);
        Assert.True(s.Residual < 1e-6, $"residual {s.Residual}");
    }

    [Fact]
    public void SolveGradientSystem_DeadFilters_ReportsRankDeficient()
    {
        // 5 filters·9 = 45 rows ≥ 36 unknowns, but 2 filters have ∂ℓ/∂O = 0 (ReLU off): 27 live rows < 36
        var g = ConvGeometry.Create("g", "w", null, 1, 5, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 6, 6);
        var r = new Random(5);
        var dO = Rand(r, 5 * 36);
        Array.Clear(dO, 0, 72);
        var dW = new float[45];
        var s = RConvReconstructor.SolveGradientSystem(g, dO, dW, 1e-9);
        Assert.False(s.FullRank);
        Assert.Equal(27, s.Rank[0]);
        var rank = Assert.Single(RConvReconstructor.RankCheck(g, dO, 1e-9, "test"));
        Assert.Equal(18, rank.ZeroRows);
        Assert.Equal(27, rank.Rank);
        Assert.False(rank.FullRank);
    }

    [Fact]
    public void StridePhase_EightFiltersOn6x6_IsRankShort_AndCombinedSolveRecovers()
    {
        // 8 filters·9 = 72 rows ≥ 36, but the (even, even) phase has 8 rows for 9 pixels: rank 35 per channel
        var g = ConvGeometry.Create("g", "w", "b", 4, 8, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1, 6, 6); // forward 72 < 144: short alone
        var cond = RConvConditions.Evaluate(g, new RConvActivation(RConvActivationKind.LeakyRelu, 0.2, "a"), "LeakyRelu");
        Assert.False(cond.GradientConditionHolds);
        Assert.Equal((8L, 9L, 4L), (cond.PhaseRows, cond.PhaseUnknowns, cond.GradientUndetermined));
        Assert.Equal(RConvVerdict.LeaksThroughCombinedConstraints, cond.Verdict);
        var r = new Random(7);
        var x = Rand(r, 144);
        var dO = Rand(r, 8 * 9);
        var w = RandF(r, 8 * 4 * 9);
        var b = RandF(r, 8);
        var dW = ConvConstraints.WeightGradient(g, x, dO).Select(v => (float)v).ToArray();
        var s = RConvReconstructor.SolveGradientSystem(g, dO, dW, 1e-9);
        Assert.Equal(35, s.Rank[0]);
        var o = ConvConstraints.Forward(g, x, w, b);
        var c = RConvReconstructor.SolveCombined(g, s, w, b, o, 1e-9);
        Assert.NotNull(c);
        Numerics.AssertClose(expected: x, actual: c.Value.X, atol: 1e-5, rtol: 0);
    }

    [Fact]
    public void JointSystem_RecoversInput_WhenForwardAndGradientAreEachShort()
    {
        // 3→2 k3 s1 p1 on 6×6: gradient 2·9 = 18 rows < 36 per channel; forward 2·36 = 72 < 108; together 72 + 54 = 126 ≥ 108
        var g = ConvGeometry.Create("j", "w", "b", 3, 2, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 6, 6);
        var r = new Random(6);
        var w = RandF(r, 2 * 3 * 9);
        var b = RandF(r, 2);
        var x = Rand(r, 108);
        var dO = Rand(r, 2 * 36);
        var o = ConvConstraints.Forward(g, x, w, b);
        var dW = ConvConstraints.WeightGradient(g, x, dO).Select(v => (float)v).ToArray();
        var s = JointSystem.Solve(g, w, b, o, dO, dW);
        Assert.Equal(72 + 54, s.Rows);
        Numerics.AssertClose(expected: x, actual: s.X, atol: 1e-5, rtol: 0);
        Assert.True(s.ForwardResidual < 1e-6, $"forward residual {s.ForwardResidual}");
        // without the gradient rows the same forward system is short: the solve must not pretend otherwise
        var sNoGrad = JointSystem.Solve(g, w, b, o, new double[dO.Length], new float[dW.Length]);
        Assert.True(x.Zip(sNoGrad.X, (p, q) => Math.Abs(p - q)).Max() > 1e-2);
    }

    [Theory]
    [InlineData(RConvActivationKind.LeakyRelu, 0.2)]
    [InlineData(RConvActivationKind.Sigmoid, 0)]
    [InlineData(RConvActivationKind.Tanh, 0)]
    [InlineData(RConvActivationKind.Elu, 1.0)]
    [InlineData(RConvActivationKind.Relu, 0)]
    public void Activation_DerivativeFromOutput_MatchesFiniteDifference_AndInverts(RConvActivationKind kind, double alpha)
    {
        var a = new RConvActivation(kind, alpha, "a");
        foreach (var x in new[] { -2.5, -0.7, -0.1, 0.3, 1.9 })
        {
            const double h = 1e-6;
            var fd = (a.Apply(x + h) - a.Apply(x - h)) / (2 * h);
            Numerics.AssertClose(expected: fd, actual: a.DerivativeFromOutput(a.Apply(x)), atol: 1e-6, rtol: 1e-6, what: $"{kind} x={x}");
            if (a.IsInvertible) Numerics.AssertClose(expected: x, actual: a.Inverse(a.Apply(x)), atol: 1e-9, rtol: 1e-9);
        }
        Assert.Equal(kind != RConvActivationKind.Relu, a.IsInvertible);
    }
}
