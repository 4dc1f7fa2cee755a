using OnnxAudit.Runtime;
using System.Collections.Concurrent;
using OnnxAudit.Graph;
using OnnxAudit.Onnx;
using OnnxAudit.Tests.TestUtil;
using static OnnxAudit.Tests.Graph.BundledModelExpectations;

namespace OnnxAudit.Tests.Graph;

/// <summary>The analyzer's output for every bundled model against the hand-written expectations in
/// <see cref="BundledModelExpectations"/>.</summary>
public class BundledModelAnalysisTests
{
    private static readonly ConcurrentDictionary<(string, int), GraphAnalysis> Cache = new();

    private static GraphAnalysis Analysis(string name, int batch = 1) =>
        Cache.GetOrAdd((name, batch), k => ModelAnalysis.Analyze(OnnxModel.Load(RepoPaths.Model(k.Item1)), GraphAnalysisOptions.Default with { BatchSize = k.Item2 }));

    public static TheoryData<string> Names() => new(Models.Keys);

    public static TheoryData<string, int> NamesAndBatches()
    {
        var data = new TheoryData<string, int>();
        foreach (var name in Models.Keys)
        {
            data.Add(name, 1);
            data.Add(name, 8);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Identity_InputOutputAndOpset(string name)
    {
        var id = Analysis(name).Identity;
        var input = Assert.Single(id.Inputs);
        Assert.Equal(("input", "float"), (input.Name, input.ElementType));
        Assert.Equal(["batch", "1", "28", "28"], input.Shape);
        var output = Assert.Single(id.Outputs);
        Assert.Equal(("logits", "float"), (output.Name, output.ElementType));
        Assert.Equal(["batch", "10"], output.Shape);
        Assert.Contains(new OpsetInfo("", 17), id.Opsets);
        Assert.Equal("pytorch", id.ProducerName);
        Assert.Equal(64, id.Sha256.Length);
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Layers_MatchArchitecture(string name)
    {
        var spec = Models[name];
        var a = Analysis(name);
        Assert.Equal(spec.Layers.Select(l => (l.Op, l.Kind)), a.Layers.Select(l => (l.OpType, l.Kind)));
        for (var i = 0; i < spec.Layers.Length; i++)
        {
            var e = spec.Layers[i];
            var l = a.Layers[i];
            if (e.Label is not null) Assert.Equal(e.Label, l.Label);
            Assert.True(e.Params == l.ParameterCount, $"{name} layer {i} ({l.Name}): {l.ParameterCount} parameters, expected {e.Params}");
            Assert.Equal(e.Out.Aggregate(1L, (x, y) => x * y), l.OutputElementsPerSample);
            if (e.Kind == LayerKind.Linear)
            {
                var lin = Assert.IsType<LinearInfo>(l.Linear);
                Assert.Equal((true, e.Label + ".weight", e.Label + ".bias"), (lin.TransB, lin.WeightName, lin.BiasName));
            }
            if (e.Op == "LeakyRelu") NumericsAssert(0.2, l.Activation!.Alpha!.Value);
            if (e.Op == "MaxPool")
            {
                Assert.Equal([2L, 2L], l.Pool!.Kernel);
                Assert.Equal([2L, 2L], l.Pool.Strides);
                Assert.Equal([0L, 0L, 0L, 0L], l.Pool.Pads);
            }
        }
        Assert.Equal(spec.Parameters, a.ParameterCount);
        Assert.Equal(spec.Parameters, a.Layers.Sum(l => l.ParameterCount));
        Assert.Equal(0, a.ConstantElementCount);
        Assert.Equal("input", a.InputTensor);
        Assert.Equal("logits", a.OutputTensor);
        Assert.Equal(a.Layers[^1].Output, a.OutputTensor);
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Convolutions_MatchArchitecture(string name)
    {
        var spec = Models[name];
        var convs = Analysis(name).Layers.Where(l => l.Kind == LayerKind.Convolution).ToList();
        Assert.Equal(spec.Convs.Length, convs.Count);
        for (var i = 0; i < convs.Count; i++)
        {
            var e = spec.Convs[i];
            var c = convs[i].Conv!;
            Assert.Equal(e.Label, convs[i].Label);
            Assert.Equal((e.In, e.Out, e.K, e.K, e.S, e.S, 1L, 1L, 1L), (c.InChannels, c.OutChannels, c.KernelH, c.KernelW, c.StrideH, c.StrideW, c.DilationH, c.DilationW, c.Groups));
            Assert.Equal([e.P, e.P, e.P, e.P], c.Pads);
            Assert.Equal((e.InHW, e.InHW, e.OutHW, e.OutHW), (c.InputH, c.InputW, c.OutputH, c.OutputW));
            Assert.Equal((e.Label + ".weight", e.Label + ".bias"), (c.WeightName, c.BiasName));
        }
    }

    [Theory]
    [MemberData(nameof(NamesAndBatches))]
    public void TensorShapes_AtBatchSize(string name, int batch)
    {
        var spec = Models[name];
        var a = Analysis(name, batch);
        Assert.Equal(batch, a.BatchSize);
        Assert.Equal([batch, 1L, 28L, 28L], a.Tensors["input"].Shape);
        Assert.Equal(784, a.InputElementsPerSample);
        for (var i = 0; i < spec.Layers.Length; i++)
        {
            var t = a.Tensors[a.Layers[i].Output];
            Assert.Equal([batch, .. spec.Layers[i].Out], t.Shape);
            Assert.Equal("float", t.ElementType);
            Assert.True(t.IsBatched);
        }
        Assert.Equal(spec.Layers.Length + 1, a.Tensors.Count);
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void ReluLayers_Widths(string name)
    {
        var a = Analysis(name);
        Assert.Equal(Models[name].ReluWidths, a.ReluLayers.Select(r => r.Width));
        Assert.All(a.ReluLayers, r => Assert.Equal("Relu", a.Layers[r.LayerIndex].OpType));
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Head_IsTrailingFullyConnectedPart(string name)
    {
        var spec = Models[name];
        var a = Analysis(name);
        var head = Assert.IsType<ClassifierHead>(a.Head);
        // Φ ends with the Flatten in every bundled model: the head's input is its output.
        Assert.Equal(a.Layers.Single(l => l.OpType == "Flatten").Output, head.InputTensor);
        Assert.Equal(spec.HeadInputWidth, head.InputWidth);
        Assert.Equal(spec.HeadLinears, head.Linears.Select(l => l.Label));
        Assert.Equal(spec.HeadWidths, head.Widths);
        Assert.Equal(spec.HeadReluWidths, head.Relus.Select(r => r.Width));
        Assert.Equal(spec.HeadReluWidths.Length, head.ReluCount);
        Assert.Equal(spec.D1, head.D1);
        var firstHeadLayer = a.Layers.Single(l => l.Label == spec.HeadLinears[0]).Index;
        Assert.Equal(Enumerable.Range(firstHeadLayer, a.Layers.Count - firstHeadLayer), head.LayerIndices);
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void SplitPoints_InExecutionOrder(string name)
    {
        var spec = Models[name];
        var a = Analysis(name);
        Assert.Equal(spec.Splits.Select(s => (s.Producer, s.Elements)), a.SplitPoints.Select(s => (s.ProducerLayerIndex, s.ElementsPerSample)));
        foreach (var (e, s) in spec.Splits.Zip(a.SplitPoints))
        {
            NumericsAssert(e.Compression, s.Compression);
            Assert.Equal(a.Layers[e.Producer].Output, s.Tensor);
            Assert.Equal([1L, .. spec.Layers[e.Producer].Out], s.Shape);
            // These models are chains: f1 runs every layer up to the producer.
            Assert.Equal(Enumerable.Range(0, e.Producer + 1), s.PrefixLayerIndices);
            Assert.Equal(string.Join(" → ", a.Layers.Take(e.Producer + 1).Select(l => l.Label)), s.Description);
        }
    }

    private static void NumericsAssert(double expected, double actual) => Numerics.AssertClose(expected: expected, actual: actual, atol: 0, rtol: 1e-5);
}
