using OnnxAudit.Audits.Exclusivity;
using OnnxAudit.Progress;
using OnnxAudit.Tests.TestUtil;

namespace OnnxAudit.Tests.Audits.Exclusivity;

public class ExclusivityStatisticsTests
{
    // Hand-built FCN (2-4-4-2). Layer 1: z1 = (x0, x1, −x0, −x1), no bias, so sample masks are sign patterns.
    // Layer 2: n0 = n1 = h1_0, n2 = h1_1, n3 = h1_1 + h1_2.
    private static readonly int[] Widths = [2, 4, 4, 2];
    private static readonly float[][] Weights =
    [
        [1, 0, 0, 1, -1, 0, 0, -1],
        [1, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 1, 1, 0],
        [1, -1, 0.5f, 2, -1, 1, 0, 0.5f],
    ];
    // a=(1,0): L1 {0}, L2 {0,1}; b=(0,1): L1 {1}, L2 {2,3}; c=(1,1): L1 {0,1}, L2 {0,1,2,3};
    // d=(−1,2): L1 {1,2}, L2 {2,3}; a2=(2,0) like a; b2=(0,3) like b; e=(0,0): nothing active.
    private static readonly float[] Inputs = [1, 0, 0, 1, 1, 1, -1, 2, 2, 0, 0, 3, 0, 0];
    private const int A = 0, B = 1, C = 2, D = 3, A2 = 4, B2 = 5, E = 6;

    private static ActivationMasks HandMasks()
    {
        var model = TinyFcn.Build(Widths, Weights, [null, null, null]);
        return ActivationMasks.Record(model, Inputs, [7, 2], TinyFcn.Layers(Widths), null, 3, NullProgress.Instance);
    }

    public static TheoryData<int[], int[], int[], ExclusivityState> HandCases => new()
    {
        // batch, N_1^m, N_2^m, state
        { [A, B], [1, 1], [2, 2], ExclusivityState.Insecure },
        { [A, C], [0, 1], [0, 2], ExclusivityState.Undetermined },
        { [C, D], [1, 1], [2, 0], ExclusivityState.Undetermined },
        { [A, B, D], [1, 0, 1], [2, 0, 0], ExclusivityState.Undetermined },
        { [A, A2, B, B2, C], [0, 0, 0, 0, 0], [0, 0, 0, 0, 0], ExclusivityState.Secure },
        { [A, A2, B, B2], [0, 0, 0, 0], [0, 0, 0, 0], ExclusivityState.Undetermined }, // M = 4 = d_1: not secure
        { [A, E], [1, 0], [2, 0], ExclusivityState.Undetermined },
        { [C], [2], [4], ExclusivityState.Insecure },
    };

    [Theory, MemberData(nameof(HandCases))]
    public void HandBuiltFcn_CountsAndState_MatchHandDerivation(int[] batch, int[] n1, int[] n2, ExclusivityState state)
    {
        var masks = HandMasks();
        var counts = new int[2 * batch.Length];
        new ExclusivityCounter(masks).Count(batch, counts);
        Assert.Equal([.. n1, .. n2], counts);
        Assert.Equal(state, ExclusivityCounter.Classify(counts, batch.Length, 4, 2));
    }

    [Fact]
    public void HandBuiltFcn_MasksAreSignPatterns()
    {
        var masks = HandMasks();
        Assert.Equal([0b0001UL], masks.Mask(0, A).ToArray());
        Assert.Equal([0b0110UL], masks.Mask(0, D).ToArray());
        Assert.Equal([0b1100UL], masks.Mask(1, B).ToArray());
        Assert.Equal([0UL], masks.Mask(1, E).ToArray());
    }

    [Fact]
    public void Counter_RandomMasks_MatchesPlainLoopOracle()
    {
        var rng = new Random(7);
        int[] widths = [70, 130, 5];
        var layers = widths.Select((w, i) => new HeadReluLayer(i + 1, $"l{i}", w)).ToArray();
        var n = 40;
        var bits = widths.Select(w => Enumerable.Range(0, n).Select(_ => Enumerable.Range(0, w).Select(_ => rng.NextDouble() < 0.08).ToArray()).ToArray()).ToList();
        var masks = ActivationMasks.FromBits(layers, bits);
        var counter = new ExclusivityCounter(masks);
        var sampler = new BatchSampler(3);
        var all = Enumerable.Range(0, n).ToArray();
        var scratch = new int[n];
        foreach (var m in new[] { 1, 2, 3, 8, 17 })
        {
            var batch = new int[m];
            sampler.Sample(all, batch, scratch);
            Assert.Equal(m, batch.Distinct().Count());
            var counts = new int[layers.Length * m];
            counter.Count(batch, counts);
            for (var l = 0; l < layers.Length; l++)
                for (var k = 0; k < m; k++)
                {
                    // Definition 1: j is an ExAN of sample k iff it is active for k and for no other sample of the batch.
                    var expected = Enumerable.Range(0, widths[l]).Count(j => bits[l][batch[k]][j] && batch.Where((_, k2) => k2 != k).All(s => !bits[l][s][j]));
                    Assert.Equal(expected, counts[l * m + k]);
                }
        }
    }

    [Fact]
    public void Compute_Sweep_InsecureProportionIsNonIncreasingAndSecureNeedsWidth()
    {
        var rng = new Random(11);
        int[] widths = [48, 24];
        var layers = widths.Select((w, i) => new HeadReluLayer(i + 1, $"l{i}", w)).ToArray();
        var n = 300;
        var bits = widths.Select(w => Enumerable.Range(0, n).Select(_ => Enumerable.Range(0, w).Select(_ => rng.NextDouble() < 0.1).ToArray()).ToArray()).ToList();
        var masks = ActivationMasks.FromBits(layers, bits);
        var labels = Enumerable.Range(0, n).Select(i => i % 3).ToArray();
        var r = ExclusivityAuditor.Compute(masks, labels, ExclusivityOptions.Default with { Batches = 200, BatchSize = 4 }, NullProgress.Instance);
        Assert.Equal([1, 2, 4, 8, 16, 32, 64, 128], r.Sweep.Select(p => p.BatchSize));
        for (var s = 1; s < r.Sweep.Count; s++) Assert.True(r.Sweep[s].Insecure.Count <= r.Sweep[s - 1].Insecure.Count, $"sweep not monotone at M={r.Sweep[s].BatchSize}");
        Assert.True(r.Sweep[0].Insecure.Count > 0);
        // M ≤ d_1 = 48 can never be secure.
        Assert.All(r.Sweep.Where(p => p.BatchSize <= 48), p => Assert.Equal(0, p.Secure.Count));
        Assert.NotNull(r.SameClass);
        Assert.Equal(200, r.Main.Insecure.Total);
        Assert.Equal(2, r.Main.Layers.Count);
        var l1 = r.Main.Layers[0];
        Numerics.AssertClose(expected: 1.0, actual: l1.ShareZero + l1.ShareOne + l1.ShareTwoOrMore, atol: 1e-12, rtol: 0);
        Numerics.AssertClose(expected: 0.1, actual: l1.MeanActiveFraction, atol: 0.02, rtol: 0);
        // Deterministic for a seed.
        var again = ExclusivityAuditor.Compute(masks, labels, ExclusivityOptions.Default with { Batches = 200, BatchSize = 4 }, NullProgress.Instance);
        Assert.Equal(r.Main, again.Main with { Layers = r.Main.Layers });
        Assert.Equal(r.Main.Insecure, again.Main.Insecure);
    }

    [Fact]
    public void Compute_LinearFirstLayer_BatchesAboveWidthAreSecure()
    {
        // Corollary 1: after exclusivity reduction every neuron of layer 1 is active for every sample.
        var rng = new Random(5);
        HeadReluLayer[] layers = [new(1, "lin", 6, IsLinear: true), new(2, "r2", 20)];
        var n = 50;
        var bits = new List<bool[][]>
        {
            Enumerable.Range(0, n).Select(_ => new bool[6]).ToArray(),
            Enumerable.Range(0, n).Select(_ => Enumerable.Range(0, 20).Select(_ => rng.NextDouble() < 0.3).ToArray()).ToArray(),
        };
        var masks = ActivationMasks.FromBits(layers, bits);
        var r = ExclusivityAuditor.Compute(masks, null, ExclusivityOptions.Default with { Batches = 50, BatchSize = 7 }, NullProgress.Instance);
        Assert.Equal(50, r.Main.Secure.Count);
        Assert.All(r.Sweep.Where(p => p.BatchSize > 6), p => Assert.Equal(50, p.Secure.Count));
        Assert.All(r.Sweep.Where(p => p.BatchSize is > 1 and <= 6), p => Assert.Equal(0, p.Secure.Count + p.Insecure.Count));
    }
}
