using OnnxAudit.Runtime;
using OnnxAudit.Audits.SplitInversion;
using OnnxAudit.Data;
using OnnxAudit.Graph;
using OnnxAudit.Onnx;
using OnnxAudit.Tests.TestUtil;

namespace OnnxAudit.Tests.Audits.SplitInversion;

public sealed class ModelSplitterTests
{
    internal static Dataset Samples(int limit) =>
        DatasetLoader.LoadIdx(Path.Combine(RepoPaths.Samples, "fashion-mnist-test-2000-images-idx3-ubyte.gz"), DataOptions.Default with { Limit = limit });

    public static TheoryData<string> Models => new() { "lenet5", "splitnet" };

    [Theory]
    [MemberData(nameof(Models))]
    public void Split_EveryPoint_SuffixOfPrefixEqualsFullModel(string name)
    {
        var model = OnnxModel.Load(RepoPaths.Model(name));
        var analysis = ModelAnalysis.Analyze(model);
        Assert.NotEmpty(analysis.SplitPoints);
        var ds = Samples(500);
        var (x, dims, _) = ds.Batch(Enumerable.Range(0, ds.N).ToArray());
        using var full = new ModelSession(model);
        var (expected, _) = full.RunAll(x, dims);
        foreach (var p in analysis.SplitPoints)
        {
            var halves = ModelSplitter.Split(model, p);
            using var f1 = new ModelSession(halves.Prefix);
            using var f2 = new ModelSession(halves.Suffix);
            var (z, zdims) = f1.RunAll(x, dims);
            Assert.Equal(p.Shape.Skip(1), zdims);
            var (actual, _) = f2.RunAll(z, [ds.N, .. zdims]);
            Numerics.AssertClose(expected: expected, actual: actual, atol: 1e-5, rtol: 0, what: $"{name} split at {p.Tensor}");
        }
    }

    [Fact]
    public void Split_PrunesUnusedNodesAndInitializers()
    {
        var model = OnnxModel.Load(RepoPaths.Model("lenet5"));
        var analysis = ModelAnalysis.Analyze(model);
        var first = analysis.SplitPoints[0];
        var halves = ModelSplitter.Split(model, first);
        Assert.Equal(["Conv"], halves.Prefix.Graph.Node.Select(n => n.OpType));
        Assert.Equal(["conv1.bias", "conv1.weight"], halves.Prefix.Graph.Initializer.Select(t => t.Name).Order());
        Assert.DoesNotContain(halves.Suffix.Graph.Initializer, t => t.Name.StartsWith("conv1.", StringComparison.Ordinal));
        Assert.Equal(model.Graph.Node.Count - 1, halves.Suffix.Graph.Node.Count);
        Assert.Equal([first.Tensor], halves.Suffix.Graph.Input.Select(v => v.Name).Where(n => halves.Suffix.FindInitializer(n) is null));
    }
}
