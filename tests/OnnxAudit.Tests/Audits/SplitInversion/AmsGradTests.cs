using OnnxAudit.Audits;
using OnnxAudit.Audits.SplitInversion;
using OnnxAudit.Tests.TestUtil;

namespace OnnxAudit.Tests.Audits.SplitInversion;

public sealed class AmsGradTests
{
    [Fact]
    public void Step_ThreeSteps_MatchesHandDerivedAmsGrad()
    {
        // Hand-derived with PyTorch's update (lr 0.1, β 0.9/0.999, ε 1e-8) for gradients 0.5, 0, 0.1 from p = 1;
        // at step 3 v (≈0.000259) stays below v̂ = max so far only through AMSGrad's max.
        var adam = new Adam(1, 0.1, epsilon: 1e-8, amsGrad: true);
        var p = new[] { 1f };
        double[] expected = [0.900000002, 0.833027689772761, 0.7696995653027819];
        float[] grads = [0.5f, 0f, 0.1f];
        for (var t = 0; t < 3; t++)
        {
            adam.Step(p, [grads[t]]);
            Numerics.AssertClose(expected: expected[t], actual: p[0], atol: 2e-6, rtol: 0, what: $"step {t + 1}");
        }
    }

    [Fact]
    public void Step_GradientScale_EqualsScaledGradient()
    {
        var a = new Adam(2, 0.01, amsGrad: true);
        var b = new Adam(2, 0.01, amsGrad: true);
        var pa = new[] { 0.3f, -0.2f };
        var pb = new[] { 0.3f, -0.2f };
        a.Step(pa, [0.02f, -0.04f], gradientScale: 5f);
        b.Step(pb, [0.1f, -0.2f]);
        Numerics.AssertClose(expected: pb, actual: pa, atol: 1e-7, rtol: 0);
    }

    [Fact]
    public void Step_WrongLength_Throws()
    {
        var a = new Adam(2, 0.01, amsGrad: true);
        var ex = Assert.Throws<ArgumentException>(() => a.Step(new float[3], new float[3]));
        Assert.Contains("expected 2", ex.Message, StringComparison.Ordinal);
    }
}
