using OnnxAudit.Autodiff;
using OnnxAudit.Tests.TestUtil;
using static OnnxAudit.Tests.Autodiff.OpHarness;

namespace OnnxAudit.Tests.Autodiff;

/// <summary>Every rule on every case of <see cref="OpCases"/>: output shapes and central finite differences.</summary>
public class OpGradientTests
{
    // why: central differences with ε = 1e-2 on a float32 forward: the loss (accumulated in double) has rounding noise
    // ~1e-7 relative, i.e. ~1e-5 after dividing by 2ε; truncation error is O(ε²). Inputs keep ≥ 0.03 from kinks and ties.
    private const double Eps = 1e-2;
    private const double Atol = 2e-4;
    private const double Rtol = 1e-2;

    public static TheoryData<OpCase> Cases => OpCases.Data();

    [Fact]
    public void Cases_CoverEverySupportedOp()
    {
        // both theories below run on OpCases.All(), so this makes every rule get a shape test and a finite-difference test
        var ops = OpCases.All().Select(c => c.Op).ToHashSet(StringComparer.Ordinal);
        var missing = GradientRules.Supported.Where(op => !ops.Contains(op)).ToArray();
        Assert.True(missing.Length == 0, "ops without a single-op case: " + string.Join(", ", missing));
        Assert.Empty(ops.Except(GradientRules.Supported));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Backward_GradientShapesMatchInputs(OpCase c)
    {
        var model = Model(c);
        var grad = GradientGraphBuilder.Build(model, MseRequest(c));
        var values = Values(c, 1);
        using var fwd = Session(model);
        var y = Run(fwd, c.FloatInputs.Select(f => (f.Name, values[f.Name], f.Dims))).First().Value;
        // the builder's static output shape is declared on the target input
        var targetShape = grad.Graph.Input.First(i => i.Name == GradientNames.Target).Type.TensorType.Shape.Dim.Select(d => d.DimValue).ToArray();
        Assert.Equal(y.Dims, targetShape);
        using var gs = Session(grad);
        var outs = Run(gs, c.FloatInputs.Select(f => (f.Name, values[f.Name], f.Dims)).Append((GradientNames.Target, new float[y.Data.Length], y.Dims)));
        foreach (var (name, dims) in c.FloatInputs)
            Assert.Equal(dims, outs[GradientNames.Gradient(name)].Dims);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Backward_MatchesFiniteDifference(OpCase c)
    {
        var model = Model(c);
        var values = Values(c, 7);
        using var fwd = Session(model);
        var yShape = Run(fwd, c.FloatInputs.Select(f => (f.Name, values[f.Name], f.Dims))).First().Value;
        var rnd = new Random(11);
        var target = yShape.Data.Select(_ => (float)(rnd.NextDouble() * 2 - 1)).ToArray();

        double Loss()
        {
            var y = Run(fwd, c.FloatInputs.Select(f => (f.Name, values[f.Name], f.Dims))).First().Value.Data;
            double s = 0;
            for (var i = 0; i < y.Length; i++) { double d = (double)y[i] - target[i]; s += d * d; }
            return s / y.Length;
        }

        var grad = GradientGraphBuilder.Build(model, MseRequest(c));
        using var gs = Session(grad);
        var outs = Run(gs, c.FloatInputs.Select(f => (f.Name, values[f.Name], f.Dims)).Append((GradientNames.Target, target, yShape.Dims)));
        Numerics.AssertClose(expected: Loss(), actual: outs[GradientNames.Loss].Data[0], atol: 1e-6, rtol: 1e-5, what: c.Name + " loss");
        foreach (var (name, _) in c.FloatInputs)
        {
            var v = values[name];
            var fd = new double[v.Length];
            for (var i = 0; i < v.Length; i++)
            {
                var orig = v[i];
                v[i] = (float)(orig + Eps);
                var hi = v[i];
                var lp = Loss();
                v[i] = (float)(orig - Eps);
                var lo = v[i];
                var lm = Loss();
                v[i] = orig;
                fd[i] = (lp - lm) / ((double)hi - lo);
            }
            var analytic = outs[GradientNames.Gradient(name)].Data.Select(f => (double)f).ToArray();
            Numerics.AssertClose(expected: fd, actual: analytic, atol: Atol, rtol: Rtol, what: $"{c.Name} d/d{name}");
        }
    }
}
