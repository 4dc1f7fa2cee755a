using System.Diagnostics;
using OnnxAudit.Autodiff;
using OnnxAudit.Graph;
using OnnxAudit.Onnx;
using Onnx;

namespace OnnxAudit.Tests.Hostile;

/// <summary>Issue 15: deep chains (thousands of Identity or ReLU nodes) cost linear-ish time and memory.</summary>
public sealed class DeepChainTests
{
    private static OnnxModel BatchedChain(int n, string op)
    {
        var m = HostileModels.Chain(n, op, 1, 4);
        m.Graph.Input[0].Type.TensorType.Shape.Dim[0] = new TensorShapeProto.Types.Dimension { DimParam = "batch" };
        m.Graph.Output[0].Type.TensorType.Shape.Dim[0] = new TensorShapeProto.Types.Dimension { DimParam = "batch" };
        return OnnxModel.FromProto(m, "chain.onnx");
    }

    [Fact]
    public void Inspect_5000NodeChain_IsFast_WithSharedPrefixes_AndShortDescriptions()
    {
        const int n = 5_000;
        var model = BatchedChain(n, "Relu");
        var clock = Stopwatch.StartNew();
        var analysis = StaticShapeSource.Analyze(model);
        clock.Stop();
        // every intermediate tensor t1..t(n−1) is a split point; t_k's prefix is the layers 0..k−1
        Assert.Equal(n - 1, analysis.SplitPoints.Count);
        var last = analysis.SplitPoints[^1];
        Assert.Equal("t4999", last.Tensor);
        Assert.Equal(Enumerable.Range(0, n - 1), last.PrefixLayerIndices);
        Assert.Equal([0, 1, 2], analysis.SplitPoints[2].PrefixLayerIndices);
        // descriptions are bounded: the former full join was Σ k·6 characters ≈ 75 M for this chain
        Assert.True(analysis.SplitPoints.Sum(s => (long)s.Description.Length) < 100L * n);
        Assert.Equal("n0 → n1 → … (4995 more layers) … → n4997 → n4998", last.Description);
        Assert.Equal("n0 → n1 → n2", analysis.SplitPoints[2].Description);
        // generous: about 0.3 s here; the quadratic cut test took > 20 s for this chain
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(15), $"inspect of a {n}-node chain took {clock.Elapsed.TotalSeconds:F1} s");
    }

    [Fact]
    public void SplitPoints_OfDiamondAndSideBranch_AreOnlyTheCuts()
    {
        // x → a → (b, c) → d = b + c → e → s, f = e + s → y: the cuts are a, d, e and f (b, c and s are bypassed).
        var g = new GraphProto { Name = "diamond" };
        g.Input.Add(Onnx.TestModels.FloatValue("x", 1, 4));
        g.Output.Add(Onnx.TestModels.FloatValue("y", 1, 4));
        void Add(string op, string o, params string[] i) => g.Node.Add(new NodeProto { OpType = op, Name = o + "_n", Input = { i }, Output = { o } });
        Add("Relu", "a", "x");
        Add("Relu", "b", "a");
        Add("Sigmoid", "c", "a");
        Add("Add", "d", "b", "c");
        Add("Relu", "e", "d");
        Add("Relu", "s", "e");
        Add("Add", "f", "e", "s");
        Add("Relu", "y", "f");
        var analysis = StaticShapeSource.Analyze(OnnxModel.FromProto(HostileModels.Model(g), "diamond.onnx"));
        Assert.Equal(["a", "d", "e", "f"], analysis.SplitPoints.Select(s => s.Tensor));
        Assert.Equal("a_n → b_n → c_n → d_n → e_n", analysis.SplitPoints[2].Description);
        Assert.Equal("a_n → b_n → c_n → d_n → e_n → s_n → f_n", analysis.SplitPoints[3].Description);
    }

    [Fact]
    public void GradientGraph_DeclaresLabelsWithTheInputsBatchSymbol()
    {
        // why: labels declared [N] against an input [batch, …] made ONNX Runtime's session creation for a 1,000-ReLU
        // chain take 6 s instead of 0.7 s (backward tensors lost their batch relation to the forward ones).
        var grad = GradientGraphBuilder.Build(BatchedChain(3, "Relu"), new GradientRequest(new SoftmaxCrossEntropyLoss(), ["t0"]));
        Assert.Equal("batch", grad.Graph.Input.First(i => i.Name == GradientNames.Labels).Type.TensorType.Shape.Dim[0].DimParam);
        Assert.Equal("batch", grad.Graph.Output.First(o => o.Name == GradientNames.Gradient("t0")).Type.TensorType.Shape.Dim[0].DimParam);
    }
}
