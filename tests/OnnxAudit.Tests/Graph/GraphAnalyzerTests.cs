using OnnxAudit.Runtime;
using OnnxAudit.Errors;
using OnnxAudit.Graph;
using static OnnxAudit.Tests.Graph.TestModelBuilder;

namespace OnnxAudit.Tests.Graph;

public class GraphAnalyzerTests
{
    // x → Relu(a) → Sigmoid(b) → Tanh(c) → Neg(y), written to the file in the order c, a, y, b.
    private static TestModelBuilder Chain() => new TestModelBuilder()
        .Input("x", "N", 4).Output("y")
        .Node("Relu", ["x"], ["ta"], "a")
        .Node("Sigmoid", ["ta"], ["tb"], "b")
        .Node("Tanh", ["tb"], ["tc"], "c")
        .Node("Neg", ["tc"], ["y"], "y_node");

    [Fact]
    public void TopologicalOrder_ShuffledGraph_IsExecutionOrder()
    {
        var analysis = ModelAnalysis.Analyze(Chain().Permute(2, 0, 3, 1).Build());
        Assert.Equal(["a", "b", "c", "y_node"], analysis.Nodes.Select(n => n.Name));
        Assert.Equal([1, 3, 0, 2], analysis.Nodes.Select(n => n.FileIndex));
    }

    [Fact]
    public void TopologicalOrder_FileAlreadyTopological_KeepsFileOrder()
    {
        // Diamond: x → p, x → q, (p, q) → s. Both p,q,s and q,p,s are valid; the file says q first.
        var analysis = ModelAnalysis.Analyze(new TestModelBuilder()
            .Input("x", 1, 3).Output("s")
            .Node("Sigmoid", ["x"], ["tq"], "q")
            .Node("Relu", ["x"], ["tp"], "p")
            .Node("Add", ["tp", "tq"], ["s"], "sum")
            .Build());
        Assert.Equal(["q", "p", "sum"], analysis.Nodes.Select(n => n.Name));
    }

    [Fact]
    public void Analyze_Cycle_ThrowsModelLoadExceptionNamingTheNodes()
    {
        var model = new TestModelBuilder()
            .Input("x", 1, 3).Output("y")
            .Node("Add", ["x", "t2"], ["t1"], "first")
            .Node("Relu", ["t1"], ["t2"], "second")
            .Node("Neg", ["t2"], ["y"], "third")
            .Build("cyclic.onnx");
        var ex = Assert.Throws<ModelLoadException>(() => ModelAnalysis.Analyze(model));
        Assert.Contains("cyclic.onnx", ex.Message);
        Assert.Contains("cycle", ex.Message);
        Assert.Contains("'first'", ex.Message);
        Assert.Contains("'second'", ex.Message);
        Assert.DoesNotContain('\n', ex.Message);
    }

    [Fact]
    public void Analyze_DanglingInput_ThrowsModelLoadException()
    {
        var model = new TestModelBuilder()
            .Input("x", 1, 3).Output("y")
            .Node("Add", ["x", "ghost"], ["y"], "adder")
            .Build("dangling.onnx");
        var ex = Assert.Throws<ModelLoadException>(() => ModelAnalysis.Analyze(model));
        Assert.Contains("'ghost'", ex.Message);
        Assert.Contains("'adder'", ex.Message);
    }

    [Fact]
    public void MatMulAdd_IsOneLinearLayer()
    {
        var analysis = ModelAnalysis.Analyze(new TestModelBuilder()
            .Input("x", "N", 4).Output("y")
            .Weight("W", 4, 3).Weight("b", 3)
            .Node("MatMul", ["x", "W"], ["xw"], "fc/MatMul")
            .Node("Add", ["xw", "b"], ["h"], "fc/Add")
            .Node("Relu", ["h"], ["y"], "act")
            .Build());
        Assert.Equal(2, analysis.Layers.Count);
        var fc = analysis.Layers[0];
        Assert.Equal(LayerKind.Linear, fc.Kind);
        Assert.Equal(["fc/MatMul", "fc/Add"], fc.NodeNames);
        Assert.Equal("x", fc.Input);
        Assert.Equal("h", fc.Output);
        Assert.Equal(new LinearInfo(4, 3, false, false, 1.0, 1.0, "W", "b", true), fc.Linear);
        Assert.Equal(["W", "b"], fc.ParameterNames);
        Assert.Equal(4 * 3 + 3, fc.ParameterCount);
        Assert.Equal(15, analysis.ParameterCount);
        Assert.Equal(LayerKind.Activation, analysis.Layers[1].Kind);

        var head = Assert.IsType<ClassifierHead>(analysis.Head);
        Assert.Equal("x", head.InputTensor);
        Assert.Equal([4L, 3L], head.Widths);
        Assert.Equal(3, head.D1);
        // The MatMul output inside the merged layer is not offered as a split point.
        Assert.Equal(["h"], analysis.SplitPoints.Select(s => s.Tensor));
    }

    [Fact]
    public void MatMulWithoutBias_AndMatMulOfTwoDataTensors_AreClassifiedApart()
    {
        var analysis = ModelAnalysis.Analyze(new TestModelBuilder()
            .Input("x", 2, 4).Output("y")
            .Weight("W", 4, 4)
            .Node("MatMul", ["x", "W"], ["xw"], "proj")
            .Node("Transpose", ["xw"], ["xwT"], "t")
            .Node("MatMul", ["xw", "xwT"], ["y"], "gram")
            .Build());
        Assert.Equal(new LinearInfo(4, 4, false, false, 1.0, 1.0, "W", null, true), analysis.Layers[0].Linear);
        Assert.Equal(LayerKind.Other, analysis.Layers[2].Kind);
        Assert.Null(analysis.Head);
    }

    // Input 7×8, kernel 3×kW, strides 2×3, dilations 1×dW.
    // SAME (kW 5, dW 1): out = ceil(in/s) = (4, 3); total pad H = (4−1)·2 + 3 − 7 = 2, W = (3−1)·3 + 5 − 8 = 3;
    //   SAME_UPPER puts the odd one at the end: H 1/1, W 1/2; SAME_LOWER at the beginning: H 1/1, W 2/1.
    // VALID (kW 4, dW 2, effective kernel 7): out H = ⌊(7−3)/2⌋+1 = 3, W = ⌊(8−7)/3⌋+1 = 1.
    // NOTSET pads [1,0,2,1] (kW 4, dW 2): H ⌊(7+3−3)/2⌋+1 = 4, W ⌊(8+1−7)/3⌋+1 = 1.
    [Theory]
    [InlineData("SAME_UPPER", 5, 1, new long[] { 1, 1, 1, 2 }, 4, 3)]
    [InlineData("SAME_LOWER", 5, 1, new long[] { 1, 2, 1, 1 }, 4, 3)]
    [InlineData("VALID", 4, 2, new long[] { 0, 0, 0, 0 }, 3, 1)]
    [InlineData("NOTSET", 4, 2, new long[] { 1, 0, 2, 1 }, 4, 1)]
    public void Conv_AutoPad_ResolvesPads(string autoPad, long kW, long dW, long[] expectedPads, long outH, long outW)
    {
        var attributes = new List<global::Onnx.AttributeProto> { Ints("kernel_shape", 3, kW), Ints("strides", 2, 3), Ints("dilations", 1, dW), Str("auto_pad", autoPad) };
        if (autoPad == "NOTSET") attributes.Add(Ints("pads", 1, 0, 2, 1));
        var analysis = ModelAnalysis.Analyze(new TestModelBuilder()
            .Input("x", "N", 2, 7, 8).Output("y")
            .Weight("w", 5, 2, 3, kW)
            .Node("Conv", ["x", "w"], ["y"], "conv", [.. attributes])
            .Build());
        var conv = Assert.IsType<ConvInfo>(analysis.Layers[0].Conv);
        Assert.Equal(autoPad, conv.AutoPad);
        Assert.Equal(expectedPads, conv.Pads);
        Assert.Equal((7L, 8L), (conv.InputH, conv.InputW));
        Assert.Equal((outH, outW), (conv.OutputH, conv.OutputW));
        Assert.Equal((3L, kW, 2L, 3L, 1L, dW), (conv.KernelH, conv.KernelW, conv.StrideH, conv.StrideW, conv.DilationH, conv.DilationW));
        Assert.Equal((2L, 5L, 1L), (conv.InChannels, conv.OutChannels, conv.Groups));
        Assert.Null(conv.BiasName);
        // The formula agrees with what ONNX Runtime produced.
        Assert.Equal([1L, 5L, outH, outW], analysis.Tensors["y"].Shape);
    }

    // ONNX Runtime 1.29 refuses SAME_* with dilation ≠ 1, so the spec formula is checked directly:
    // in 8, k 4, s 3, d 2: out = ceil(8/3) = 3, total = (3−1)·3 + (4−1)·2 + 1 − 8 = 5 → UPPER 2/3, LOWER 3/2.
    [Theory]
    [InlineData("SAME_UPPER", 2, 3)]
    [InlineData("SAME_LOWER", 3, 2)]
    public void Window_SameWithDilation_FollowsSpec(string autoPad, long begin, long end)
    {
        Assert.Equal([begin, end], Window.ResolvePads(autoPad, [8], [4], [3], [2], null));
        Assert.Equal(3, Window.OutputSize(8, 4, 3, 2, begin, end, false));
    }

    // Residual MLP: x[N,2,2] → Flatten f → fc1 h1 → Relu r1 → fc2 h2 → Add(h2, r1) s → Relu r2 → Gemm y.
    private static TestModelBuilder Residual() => new TestModelBuilder()
        .Input("x", "batch", 2, 2).Output("y", "batch", 3)
        .Weight("W1", 4, 4).Weight("b1", 4).Weight("W2", 4, 4).Weight("b2", 4).Weight("W3", 3, 4).Weight("b3", 3)
        .Node("Flatten", ["x"], ["f"], "/Flatten", Int("axis", 1))
        .Node("MatMul", ["f", "W1"], ["m1"], "/fc1/MatMul")
        .Node("Add", ["m1", "b1"], ["h1"], "/fc1/Add")
        .Node("Relu", ["h1"], ["r1"], "/relu1/Relu")
        .Node("MatMul", ["r1", "W2"], ["m2"], "/fc2/MatMul")
        .Node("Add", ["m2", "b2"], ["h2"], "/fc2/Add")
        .Node("Add", ["h2", "r1"], ["s"], "/Add")
        .Node("Relu", ["s"], ["r2"], "/relu2/Relu")
        .Node("Gemm", ["r2", "W3", "b3"], ["y"], "/fc3/Gemm", Int("transB", 1));

    [Fact]
    public void ResidualBlock_SplitPointsExcludeTensorsBypassedBySkip()
    {
        var analysis = ModelAnalysis.Analyze(Residual().Build());
        Assert.Equal(["Flatten", "fc1", "relu1", "fc2", "Add", "relu2", "fc3"], analysis.Layers.Select(l => l.Label));
        // h2 is bypassed by the skip r1 → Add, so it does not separate x from y.
        Assert.Equal(["f", "h1", "r1", "s", "r2"], analysis.SplitPoints.Select(s => s.Tensor));
        var s = analysis.SplitPoints.Single(p => p.Tensor == "s");
        Assert.Equal("Flatten → fc1 → relu1 → fc2 → Add", s.Description);
        Assert.Equal(4, s.ElementsPerSample);
        Assert.Equal(1.0, s.Compression);

        // Head: the walk back from y passes fc3 and relu2 and stops at the skip Add.
        var head = Assert.IsType<ClassifierHead>(analysis.Head);
        Assert.Equal("s", head.InputTensor);
        Assert.Equal(["fc3"], head.Linears.Select(l => l.Label));
        Assert.Equal(["relu2"], head.Relus.Select(r => r.Label));
        Assert.Equal(new LinearInfo(4, 3, false, true, 1.0, 1.0, "W3", "b3", false), head.Linears[0].Linear);
        Assert.Equal(["relu1", "relu2"], analysis.ReluLayers.Select(r => r.Label));
        Assert.Equal(16 + 4 + 16 + 4 + 12 + 3, analysis.ParameterCount);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(5)]
    public void SymbolicBatch_ShapesFollowTheBatchSize(int batch)
    {
        var analysis = ModelAnalysis.Analyze(Residual().Build(), GraphAnalysisOptions.Default with { BatchSize = batch });
        Assert.Equal(batch, analysis.BatchSize);
        Assert.Equal([batch, 2L, 2L], analysis.Tensors["x"].Shape);
        Assert.Equal([batch, 4L], analysis.Tensors["f"].Shape);
        Assert.Equal([batch, 3L], analysis.Tensors["y"].Shape);
        Assert.All(analysis.Tensors.Values, t => Assert.True(t.IsBatched, t.Name));
        Assert.Equal(4, analysis.Tensors["x"].ElementsPerSample);
        Assert.Equal("float", analysis.Tensors["h2"].ElementType);
        Assert.Equal(["batch", "2", "2"], analysis.Identity.Inputs[0].Shape);
        Assert.Equal(["batch", "3"], analysis.Identity.Outputs[0].Shape);
    }

    [Fact]
    public void SecondSymbolicDimension_ThrowsClearError()
    {
        var model = new TestModelBuilder().Input("x", "N", 3, "H", 4).Output("y").Node("Relu", ["x"], ["y"]).Build("free.onnx");
        var ex = Assert.Throws<ModelLoadException>(() => ModelAnalysis.Analyze(model));
        Assert.Contains("free.onnx", ex.Message);
        Assert.Contains("'H' at axis 2", ex.Message);
    }

    [Fact]
    public void FixedBatch_IsReportedInsteadOfRequested()
    {
        var analysis = ModelAnalysis.Analyze(Chain().Build(), GraphAnalysisOptions.Default with { BatchSize = 3 });
        Assert.Equal(3, analysis.BatchSize);
        var fixedModel = new TestModelBuilder().Input("x", 2, 5).Output("y").Node("Relu", ["x"], ["y"]).Build();
        var fixedAnalysis = ModelAnalysis.Analyze(fixedModel, GraphAnalysisOptions.Default with { BatchSize = 3 });
        Assert.Equal(2, fixedAnalysis.BatchSize);
        Assert.Equal(5, fixedAnalysis.Tensors["y"].ElementsPerSample);
    }

    [Fact]
    public void ConstantSubgraphs_AreNeitherSplitPointsNorParameters()
    {
        // x[N,1,2,2] → Relu r → Reshape(r, shape) f → Gemm y, where shape = Concat(Constant [0], initializer [-1]).
        var analysis = ModelAnalysis.Analyze(new TestModelBuilder()
            .Input("x", "N", 1, 2, 2).Output("y")
            .Int64s("minus1", -1).Weight("W", 4, 2).Weight("b", 2)
            .Node("Constant", [], ["zero"], "const", new global::Onnx.AttributeProto { Name = "value", Type = global::Onnx.AttributeProto.Types.AttributeType.Tensor, T = OnnxAudit.Onnx.TensorData.FromInt64s("", [1], [0]) })
            .Node("Concat", ["zero", "minus1"], ["shape"], "cat", Int("axis", 0))
            .Node("Relu", ["x"], ["r"], "relu")
            .Node("Reshape", ["r", "shape"], ["f"], "flat")
            .Node("Gemm", ["f", "W", "b"], ["y"], "fc")
            .Build());
        Assert.Equal(["r", "f"], analysis.SplitPoints.Select(s => s.Tensor));
        Assert.Equal("relu → flat", analysis.SplitPoints[1].Description);
        Assert.Equal(8 + 2, analysis.ParameterCount);
        Assert.Equal(1, analysis.ConstantElementCount);
        Assert.Equal([2L], analysis.Tensors["shape"].Shape);
        Assert.False(analysis.Tensors["shape"].IsBatched);
        Assert.Equal(LayerKind.Reshape, analysis.FindLayer("flat")!.Kind);
        Assert.Equal("r", analysis.FindLayer("flat")!.Input);
    }

    [Fact]
    public void GeneratedNames_AndOperatorInventory()
    {
        var analysis = ModelAnalysis.Analyze(new TestModelBuilder()
            .Input("x", 1, 3).Output("y")
            .Node("Relu", ["x"], ["a"]).Node("Relu", ["a"], ["b"]).Node("Sigmoid", ["b"], ["y"])
            .Build());
        Assert.Equal(["Relu_0", "Relu_1", "Sigmoid_0"], analysis.Layers.Select(l => l.Name));
        Assert.Equal([new OperatorUsage("Relu", "", 2, 17), new OperatorUsage("Sigmoid", "", 1, 17)], analysis.Operators);
        Assert.Equal([new OpsetInfo("", 17)], analysis.Identity.Opsets);
        Assert.Equal("tests", analysis.Identity.ProducerName);
        Assert.Equal(8, analysis.Identity.IrVersion);
        Assert.Equal(64, analysis.Identity.Sha256.Length);
    }

    [Fact]
    public void Activations_ReadTheirParameters()
    {
        var analysis = ModelAnalysis.Analyze(new TestModelBuilder()
            .Input("x", "N", 3).Output("y")
            .Weight("slope", 3)
            .Node("Constant", [], ["six"], "c6", new global::Onnx.AttributeProto { Name = "value", Type = global::Onnx.AttributeProto.Types.AttributeType.Tensor, T = OnnxAudit.Onnx.TensorData.FromFloats("", [], [6f]) })
            .Node("Constant", [], ["zero"], "c0", new global::Onnx.AttributeProto { Name = "value", Type = global::Onnx.AttributeProto.Types.AttributeType.Tensor, T = OnnxAudit.Onnx.TensorData.FromFloats("", [], [0f]) })
            .Node("Clip", ["x", "zero", "six"], ["a"], "clip")
            .Node("LeakyRelu", ["a"], ["b"], "leaky", Float("alpha", 0.25f))
            .Node("PRelu", ["b", "slope"], ["c"], "prelu")
            .Node("Selu", ["c"], ["y"], "selu")
            .Build());
        Assert.Equal(new ActivationInfo("Clip", Min: 0, Max: 6), analysis.FindLayer("clip")!.Activation);
        Assert.Equal(new ActivationInfo("LeakyRelu", Alpha: 0.25), analysis.FindLayer("leaky")!.Activation);
        Assert.Equal(new ActivationInfo("PRelu", SlopeName: "slope"), analysis.FindLayer("prelu")!.Activation);
        Assert.Equal(3, analysis.FindLayer("prelu")!.ParameterCount);
        Assert.Equal(new ActivationInfo("Selu", Alpha: 1.67326319217681884765625, Gamma: 1.05070102214813232421875), analysis.FindLayer("selu")!.Activation);
        Assert.All(analysis.Layers.Where(l => l.OpType != "Constant"), l => Assert.Equal(LayerKind.Activation, l.Kind));
        Assert.Empty(analysis.ReluLayers);
        Assert.Null(analysis.Head);
        Assert.Equal(["a", "b", "c"], analysis.SplitPoints.Select(p => p.Tensor));
    }

    [Fact]
    public void Analysis_SerializesToJson()
    {
        // The CLI's --json output serializes the records as they are.
        var json = System.Text.Json.JsonSerializer.Serialize(ModelAnalysis.Analyze(Residual().Build()));
        Assert.Contains("\"SplitPoints\":[{\"Tensor\":\"f\"", json);
        Assert.Contains("\"D1\":4", json);
    }

    [Theory]
    [InlineData("/conv1/Conv", "Conv", "conv1")]
    [InlineData("/features/features.0/Conv", "Conv", "features.0")]
    [InlineData("/Flatten", "Flatten", "Flatten")]
    [InlineData("/relu_1/Relu", "Relu", "relu_1")]
    [InlineData("fc1", "Gemm", "fc1")]
    public void Label_ShortensPyTorchScopes(string name, string op, string expected) =>
        Assert.Equal(expected, LayerBuilder.Label(name, op));
}
