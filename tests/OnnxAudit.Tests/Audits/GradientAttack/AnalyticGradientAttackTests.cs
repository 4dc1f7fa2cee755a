using OnnxAudit.Audits.Exclusivity;
using OnnxAudit.Audits.GradientAttack;
using OnnxAudit.Progress;

using OnnxAudit.Tests.Audits.Exclusivity;

namespace OnnxAudit.Tests.Audits.GradientAttack;

public class AnalyticGradientAttackTests
{
    private static (float[] x, int[] y) Data(int n, int d0, int k, int seed)
    {
        var rng = new Random(seed);
        var x = Enumerable.Range(0, n * d0).Select(_ => (float)rng.NextDouble()).ToArray();
        var y = Enumerable.Range(0, n).Select(_ => rng.Next(k)).ToArray();
        return (x, y);
    }

    /// <summary>Finds a batch of size m with the requested state by scanning sampled batches.</summary>
    private static int[] FindBatch(ActivationMasks masks, int m, ExclusivityState state, int seed)
    {
        var sampler = new BatchSampler(seed);
        var all = Enumerable.Range(0, masks.Samples).ToArray();
        var scratch = new int[all.Length];
        var counter = new ExclusivityCounter(masks);
        var batch = new int[m];
        var counts = new int[masks.Layers.Count * m];
        for (var t = 0; t < 5000; t++)
        {
            sampler.Sample(all, batch, scratch);
            counter.Count(batch, counts);
            if (ExclusivityCounter.Classify(counts, m, masks.Layers[0].Width, masks.Layers.Count) == state) return (int[])batch.Clone();
        }
        throw new InvalidOperationException($"no {state} batch found");
    }

    private static float[] Gather(float[] x, int d0, int[] idx) => [.. idx.SelectMany(i => x.AsSpan(i * d0, d0).ToArray())];

    [Theory]
    [InlineData(new[] { 40, 200, 10 }, true, 6)]
    [InlineData(new[] { 40, 160, 96, 10 }, true, 4)]
    [InlineData(new[] { 40, 128, 96, 96, 10 }, true, 3)]
    public void InsecureBatch_RecoversBatchSizeLabelsAndInputsExactly(int[] widths, bool bias, int m)
    {
        var model = TinyFcn.Random(widths, seed: 3, bias: bias);
        var (x, y) = Data(200, widths[0], widths[^1], 9);
        var masks = ActivationMasks.Record(model, x, [200, widths[0]], TinyFcn.Layers(widths), null, 64, NullProgress.Instance);
        var batch = FindBatch(masks, m, ExclusivityState.Insecure, 1);
        var head = FcnHead.Extract(model);
        Assert.Equal(widths.Length - 1, head.Layers.Count);
        var bx = Gather(x, widths[0], batch);
        var by = batch.Select(i => y[i]).ToArray();
        var grad = ClosedFormGradient.Compute(head, bx, m, by);
        var r = AnalyticGradientAttack.Run(head, grad, GradientAttackOptions.Default);
        Assert.Equal(m, r.InferredBatchSize);
        Assert.Equal(LossScaleMethod.LastBiasLeastSquares, r.ScaleMethod);
        // Each recovered sample must equal one true sample (match by nearest input).
        var used = new HashSet<int>();
        foreach (var s in r.Samples)
        {
            Assert.NotNull(s.HeadInput);
            var best = Enumerable.Range(0, m).MinBy(t => Mse(s.HeadInput!, bx.AsSpan(t * widths[0], widths[0]).ToArray()));
            Assert.True(used.Add(best));
            Assert.True(Mse(s.HeadInput!, bx.AsSpan(best * widths[0], widths[0]).ToArray()) < 1e-8, "input not recovered");
            Assert.Equal(by[best], s.Label);
            Assert.True(s.LabelFromSign);
        }
    }

    [Fact]
    public void LastBiasScales_MatchTrueLossVectors()
    {
        int[] widths = [30, 200, 10];
        var model = TinyFcn.Random(widths, seed: 4);
        var (x, y) = Data(100, 30, 10, 2);
        var masks = ActivationMasks.Record(model, x, [100, 30], TinyFcn.Layers(widths), null, 64, NullProgress.Instance);
        var batch = FindBatch(masks, 5, ExclusivityState.Insecure, 2);
        var head = FcnHead.Extract(model);
        var bx = Gather(x, 30, batch);
        var by = batch.Select(i => y[i]).ToArray();
        var r = AnalyticGradientAttack.Run(head, ClosedFormGradient.Compute(head, bx, 5, by), GradientAttackOptions.Default);
        foreach (var s in r.Samples)
        {
            // The loss vector sums to 0 and its label entry is p_Y − 1 ∈ (−1, 0).
            Assert.InRange(s.LossVector.Sum(), -1e-5, 1e-5);
            Assert.InRange(s.LossVector[s.Label], -1f, 0f);
        }
    }

    [Fact]
    public void NoBiases_LeastSquaresRecoversInputsOfInsecureBatch()
    {
        int[] widths = [30, 200, 10];
        var model = TinyFcn.Random(widths, seed: 5, bias: false);
        var (x, y) = Data(100, 30, 10, 3);
        var masks = ActivationMasks.Record(model, x, [100, 30], TinyFcn.Layers(widths), null, 64, NullProgress.Instance);
        var batch = FindBatch(masks, 4, ExclusivityState.Insecure, 3);
        var head = FcnHead.Extract(model);
        var bx = Gather(x, 30, batch);
        var by = batch.Select(i => y[i]).ToArray();
        var r = AnalyticGradientAttack.Run(head, ClosedFormGradient.Compute(head, bx, 4, by), GradientAttackOptions.Default);
        Assert.Equal(4, r.InferredBatchSize);
        Assert.Equal(LossScaleMethod.TwoThirdsRule, r.ScaleMethod);
        Assert.Equal("least squares", r.InputMethod);
        Assert.Equal(by.Order(), r.Samples.Select(s => s.Label).Order());
        // The 2δ/3 rule fixes the loss-vector scale only up to a factor, so inputs come back scaled: compare directions.
        foreach (var s in r.Samples)
        {
            var best = Enumerable.Range(0, 4).MaxBy(t => Cos(s.HeadInput!, bx.AsSpan(t * 30, 30).ToArray()));
            Assert.True(Cos(s.HeadInput!, bx.AsSpan(best * 30, 30).ToArray()) > 0.999);
        }
    }

    [Fact]
    public void NoRelu_LinearModel_FindsNoGroups()
    {
        // A head without ReLU (e.g. a 3-layer FCN after exclusivity reduction, collapsed): every gradient column mixes
        // all samples, so B.1 must report failure rather than invent samples.
        var rng = new Random(1);
        var w = Enumerable.Range(0, 10 * 20).Select(_ => (float)(rng.NextDouble() - 0.5)).ToArray();
        var model = TinyFcn.Build([20, 10], [w], [new float[10]]);
        var head = FcnHead.Extract(model);
        var (x, y) = Data(4, 20, 10, 1);
        var r = AnalyticGradientAttack.Run(head, ClosedFormGradient.Compute(head, x, 4, y), GradientAttackOptions.Default);
        Assert.Equal(0, r.InferredBatchSize);
        Assert.Contains(r.Notes, n => n.Contains("no group", StringComparison.Ordinal));
    }

    private static double Mse(float[] a, float[] b) => a.Zip(b, (p, q) => (double)(p - q) * (p - q)).Average();

    private static double Cos(float[] a, float[] b) =>
        a.Zip(b, (p, q) => (double)p * q).Sum() / Math.Sqrt(a.Sum(v => (double)v * v) * b.Sum(v => (double)v * v));
}
