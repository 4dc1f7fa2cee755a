using OnnxAudit.Audits;

namespace OnnxAudit.Tests.Audits;

public sealed class AdamTests
{
    [Theory]
    [InlineData(1, true)]
    [InlineData(7, false)]
    [InlineData(8, true)]
    [InlineData(1003, true)]
    [InlineData(1003, false)]
    [InlineData(4096, true)]
    public void Step_Vectorised_BitIdenticalToScalarLoop(int size, bool amsGrad)
    {
        var rng = new Random(size * 2 + (amsGrad ? 1 : 0));
        var fast = new Adam(size, 1e-2, epsilon: 1e-3, amsGrad: amsGrad);
        var oracle = new Adam(size, 1e-2, epsilon: 1e-3, amsGrad: amsGrad);
        var pf = new float[size];
        for (var i = 0; i < size; i++) pf[i] = (float)(rng.NextDouble() * 2 - 1);
        var po = (float[])pf.Clone();
        var g = new float[size];
        for (var step = 0; step < 50; step++)
        {
            // why: gradients that shrink and change sign exercise AMSGrad's running maximum.
            var scale = (float)Math.Pow(0.8, step);
            for (var i = 0; i < size; i++) g[i] = (float)((rng.NextDouble() * 2 - 1) * scale * (1 + (i % 5)));
            fast.Step(pf, g, gradientScale: 0.5f);
            oracle.StepScalar(po, g, gradientScale: 0.5f);
        }
        for (var i = 0; i < size; i++)
            Assert.True(BitConverter.SingleToInt32Bits(po[i]) == BitConverter.SingleToInt32Bits(pf[i]),
                $"parameter {i}: scalar {po[i]:R}, vectorised {pf[i]:R}");
        Assert.Equal(50, fast.Steps);
    }
}
