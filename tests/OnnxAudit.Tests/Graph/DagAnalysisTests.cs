using OnnxAudit.Graph;
using OnnxAudit.Onnx;
using OnnxAudit.Reporting.Sections;
using OnnxAudit.Runtime;
using OnnxAudit.Tests.TestUtil;
using static OnnxAudit.Tests.Graph.TestModelBuilder;

namespace OnnxAudit.Tests.Graph;

/// <summary>The analyzer on DAGs (issue 17 item 2): split points are the dominators of the output, listed with the
/// block they close; blocks of residual, inception, dense, shuffle and attention units; heads of single-Linear CNNs and
/// of a ViT; layers without Identity and shape arithmetic. Fixtures: tests/reference/dag (make_dag_fixtures.py) and
/// tests/reference/torchvision (make_torchvision.py); the expected lists were checked by hand against the graphs.</summary>
public sealed class DagAnalysisTests
{
    private static GraphAnalysis Dag(string name) => ModelAnalysis.Analyze(OnnxModel.Load(Path.Combine(RepoPaths.Reference, "dag", name + ".onnx")));

    private static GraphAnalysis Zoo(string name) => ModelAnalysis.Analyze(OnnxModel.Load(Path.Combine(RepoPaths.Reference, "torchvision", name + ".onnx")));

    private static string[] Splits(GraphAnalysis a) => [.. a.SplitPoints.Select(s => s.Tensor.Replace("_output_0", "", StringComparison.Ordinal))];

    [Fact]
    public void ResNet_SplitPointsAreStemOutputsAndBlockOutputs()
    {
        var a = Dag("resnet_tiny");
        // The Add before each block's last ReLU is a dominator too, but inside the block: not offered.
        Assert.Equal(["/conv1/Conv", "/bn1/BatchNormalization", "/relu/Relu", "/maxpool/MaxPool",
            "/layer1/layer1.0/relu_1/Relu", "/layer1/layer1.1/relu_1/Relu", "/layer2/layer2.0/relu_1/Relu", "/layer3/layer3.0/relu_2/Relu",
            "/avgpool/GlobalAveragePool", "/Flatten"], Splits(a));
        Assert.Equal(["conv1", "bn1", "relu", "maxpool", "layer1.0", "layer1.1", "layer2.0", "layer3.0", "avgpool", "Flatten"], a.SplitPoints.Select(s => s.Block));
        var blocks = a.Blocks!;
        Assert.Equal(a.SplitPoints.Count + 1, blocks.Count);
        Assert.Equal(["layer", "layer", "layer", "layer", "residual", "residual", "residual", "residual", "layer", "layer", "layer"], blocks.Select(b => b.Kind));
        // BasicBlock: conv1 bn1 relu conv2 bn2 Add relu_1; with a downsample conv+bn: 9; Bottleneck with downsample: 12.
        Assert.Equal([7, 7, 9, 12], blocks.Where(b => b.Kind == "residual").Select(b => b.LayerIndices.Count));
        // the blocks partition the layers, in order
        Assert.Equal(Enumerable.Range(0, a.Layers.Count), blocks.SelectMany(b => b.LayerIndices));
        Assert.Equal(a.Layers.Sum(l => l.ParameterCount), blocks.Sum(b => b.ParameterCount));
        Assert.Equal("logits", blocks[^1].OutputTensor);
        Assert.Equal("/layer1/layer1.1/relu_1/Relu_output_0", blocks[6].InputTensor);

        var head = Assert.IsType<ClassifierHead>(a.Head);
        Assert.Equal(["fc"], head.Linears.Select(l => l.Label));
        Assert.Equal("/Flatten_output_0", head.InputTensor);
        Assert.Equal(32, head.InputWidth);
        Assert.StartsWith("average pooling 'avgpool'", head.Features, StringComparison.Ordinal);
    }

    [Fact]
    public void SplitSelection_ByBlockName()
    {
        var model = OnnxModel.Load(Path.Combine(RepoPaths.Reference, "dag", "resnet_tiny.onnx"));
        var a = ModelAnalysis.Analyze(model);
        var chosen = OnnxAudit.Audits.SplitInversion.SplitInversionAuditor.SelectPoints(model, a, "layer2.0,conv1");
        Assert.Equal(["/conv1/Conv_output_0", "/layer2/layer2.0/relu_1/Relu_output_0"], chosen.Select(p => p.Tensor));
        var e = Assert.Throws<OnnxAudit.Errors.OnnxAuditException>(() => OnnxAudit.Audits.SplitInversion.SplitInversionAuditor.SelectPoints(model, a, "layer9.9"));
        Assert.Contains("block layer2.0", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void GoogLeNetAndDenseNet_InceptionAndDenseBlocksAreOneBlockEach()
    {
        var g = Dag("googlenet_tiny");
        Assert.Equal(["/conv1/conv/Conv", "/conv1/bn/BatchNormalization", "/conv1/Relu", "/maxpool1/MaxPool", "/inception3a/Concat", "/inception3b/Concat",
            "/maxpool3/MaxPool", "/avgpool/GlobalAveragePool", "/Flatten"], Splits(g));
        Assert.Equal(["inception3a", "inception3b"], g.Blocks!.Where(b => b.Kind == "concat").Select(b => b.Name));
        Assert.Equal(["fc"], g.Head!.Linears.Select(l => l.Label));

        var d = Dag("densenet_tiny");
        // AvgPool2d exports as Pad → AveragePool inside one module: only the pool's output is offered.
        Assert.Equal(["/features/conv0/Conv", "/features/norm0/BatchNormalization", "/features/relu0/Relu", "/features/pool0/MaxPool", "/features/denseblock1/Concat",
            "/features/transition1/norm/BatchNormalization", "/features/transition1/relu/Relu", "/features/transition1/conv/Conv", "/features/transition1/pool/AveragePool",
            "/features/denseblock2/Concat", "/features/norm5/BatchNormalization", "/Relu", "/GlobalAveragePool", "/Flatten"], Splits(d));
        Assert.Equal(["features.denseblock1", "features.denseblock2"], d.Blocks!.Where(b => b.Kind == "concat").Select(b => b.Name));
        Assert.Equal(["classifier"], d.Head!.Linears.Select(l => l.Label));
    }

    [Fact]
    public void ShuffleNet_BlockOutputsAfterChannelShuffle_NoShapeArithmeticLayers()
    {
        var a = Zoo("shufflenet_v2_small");
        // 356 nodes; 254 are Constant nodes and shape arithmetic (Shape, Gather, Unsqueeze, Concat, Div, Cast, Mul on shapes).
        Assert.Equal(356, a.Nodes.Count);
        Assert.Equal(102, a.Layers.Count);
        Assert.DoesNotContain(a.Layers, l => l.OpType is "Shape" or "Constant" or "Unsqueeze" or "Cast" or "Identity");
        string[] units = ["stage2.0", "stage2.1", "stage3.0", "stage3.1", "stage4.0", "stage4.1"];
        Assert.Equal(["conv1.0", "conv1.1", "conv1.2", "maxpool", .. units, "conv5.0", "conv5.1", "conv5.2", "ReduceMean"], a.SplitPoints.Select(s => s.Block));
        // each unit closes at the channel shuffle's last Reshape (its Concat is inside the unit)
        Assert.All(a.SplitPoints.Where(s => units.Contains(s.Block)), s => Assert.EndsWith("/Reshape_1_output_0", s.Tensor, StringComparison.Ordinal));
        Assert.All(a.Blocks!.Where(b => units.Contains(b.Name)), b => Assert.Equal("concat", b.Kind));
        // the opset-11 export has other shape arithmetic but the same layers and split points
        var o11 = Zoo("shufflenet_v2_small_opset11");
        Assert.Equal(a.Layers.Count, o11.Layers.Count);
        Assert.Equal(a.SplitPoints.Select(s => s.Tensor), o11.SplitPoints.Select(s => s.Tensor));
    }

    [Fact]
    public void ViT_ClassTokenHead_EncoderBlocks_AndLayerNormUnitAtBothOpsets()
    {
        var a = Zoo("vit_tiny");
        Assert.Equal(76, a.Layers.Count);
        Assert.DoesNotContain(a.Layers, l => l.OpType is "Shape" or "Constant" or "ConstantOfShape" or "Expand" or "Equal" or "Where" or "Unsqueeze");
        string[] blocks = ["Reshape", "Transpose", "Concat_2", "encoder", "encoder.layers.encoder_layer_0", "encoder.layers.encoder_layer_1", "encoder.ln", "Gather_4"];
        Assert.Equal(blocks, a.SplitPoints.Select(s => s.Block));
        Assert.Equal("/encoder/layers/encoder_layer_0/Add_1_output_0", a.SplitPoints[4].Tensor);
        var head = Assert.IsType<ClassifierHead>(a.Head);
        Assert.Equal(["heads.head"], head.Linears.Select(l => l.Label));
        Assert.Equal("/Gather_4_output_0", head.InputTensor);
        Assert.Equal(32, head.InputWidth);
        Assert.StartsWith("the class token", head.Features, StringComparison.Ordinal);

        // Opset 13 decomposes LayerNormalization into nine nodes; they form one unit, so the split points are the same blocks.
        var o13 = Zoo("vit_tiny_opset13");
        Assert.Equal(blocks, o13.SplitPoints.Select(s => s.Block));
        Assert.Equal("/encoder/ln/Add_1_output_0", o13.SplitPoints[6].Tensor);
        Assert.StartsWith("the class token", o13.Head!.Features, StringComparison.Ordinal);
    }

    [Fact]
    public void InvertedResidualStacks_FirstBlockWithoutSkipIsABlockToo()
    {
        var m = Zoo("mobilenet_v3_small_w025");
        Assert.Equal([.. Enumerable.Range(0, 13).Select(i => $"features.{i}"), "avgpool", "Flatten", "classifier.0", "classifier.1"], m.SplitPoints.Select(s => s.Block));
        Assert.Equal("gated", m.Blocks!.Single(b => b.Name == "features.1").Kind); // squeeze-and-excitation, no skip

        var n = Zoo("mnasnet_small");
        var blocks = n.SplitPoints.Select(s => s.Block).ToList();
        // the stride-2 first block of a stack has no skip and a stack of one block (layers.13) none either: still one block each
        Assert.Equal(["layers.0", "layers.1", "layers.2", "layers.3", "layers.4", "layers.5", "layers.6", "layers.7",
            "layers.8.0", "layers.8.1", "layers.8.2", "layers.9.0", "layers.9.1", "layers.9.2", "layers.10.0", "layers.10.1", "layers.10.2",
            "layers.11.0", "layers.11.1", "layers.12.0", "layers.12.1", "layers.12.2", "layers.12.3", "layers.13.0", "layers.14", "layers.15", "layers.16", "ReduceMean"], blocks);
        Assert.Equal("/layers/layers.8/layers.8.0/layers/layers.7/BatchNormalization_output_0", n.SplitPoints.Single(s => s.Block == "layers.8.0").Tensor);

        var r = Zoo("resnet20_cifar");
        Assert.Equal(["conv1", "bn1", "Relu", .. Enumerable.Range(0, 9).Select(i => $"layers.{i}"), "Pad", "AveragePool", "Reshape"], r.SplitPoints.Select(s => s.Block));
        Assert.Equal(76, r.Layers.Count);
    }

    [Fact]
    public void Identity_IsNoLayer_AndItsConsumerReadsTheSource()
    {
        var model = new TestModelBuilder()
            .Input("x", "N", 1L, 4L, 4L).Output("y")
            .Weight("W", 2, 1, 3, 3).Weight("B", 2).Weight("F", 10, 32).Weight("b", 10)
            .Node("Conv", ["x", "W", "B"], ["c"], "/conv/Conv", Ints("pads", 1, 1, 1, 1))
            .Node("Identity", ["c"], ["i1"], "/id/Identity")
            .Node("Identity", ["i1"], ["i2"], "/id2/Identity")
            .Node("Relu", ["i2"], ["r"], "/relu/Relu")
            .Node("Flatten", ["r"], ["f"], "/Flatten")
            .Node("Gemm", ["f", "F", "b"], ["y"], "/fc/Gemm", Int("transB", 1))
            .Build();
        var a = ModelAnalysis.Analyze(model);
        Assert.Equal(["conv", "relu", "Flatten", "fc"], a.Layers.Select(l => l.Label));
        Assert.Equal("c", a.Layers[1].Input);
        Assert.Equal(["c", "r", "f"], a.SplitPoints.Select(s => s.Tensor));
        Assert.Equal(6, a.Nodes.Count);
    }

    [Fact]
    public void Dominators_MatchBruteForceOnRandomDags_AndADeepChainNeedsNoRecursion()
    {
        var rng = new Random(17);
        for (var trial = 0; trial < 40; trial++)
        {
            var b = new TestModelBuilder().Input("t0", "N", 4L).Output("out");
            var n = rng.Next(3, 30);
            for (var v = 1; v <= n; v++)
            {
                // each tensor reads one or two earlier tensors; nearby ones mostly, so some tensors dominate
                var p = v - 1 - rng.Next(Math.Min(v, 3));
                if (rng.NextDouble() < 0.35 && v > 1) b.Node("Add", [$"t{p}", $"t{v - 1 - rng.Next(Math.Min(v, 6))}"], [$"t{v}"], $"n{v}");
                else b.Node("Relu", [$"t{p}"], [$"t{v}"], $"n{v}");
            }
            b.Node("Relu", [$"t{n}"], ["out"], "last");
            var model = b.Build();
            var order = GraphIndex.TopologicalOrder(model.Graph, "t");
            var ctx = new GraphContext(model, order, ["t0"], [], 1);
            var fast = SplitPointFinder.Dominators(ctx, "t0", "out")!;
            var brute = Enumerable.Range(1, n).Select(v => $"t{v}").Where(t => !Reaches(ctx, "t0", "out", t)).ToList();
            Assert.Equal(brute, fast);
        }

        // 20,000 nodes in a chain: every tensor a dominator; the recursion-free pass takes well under a second.
        var chain = new TestModelBuilder().Input("t0", "N", 4L).Output("out");
        const int deep = 20_000;
        for (var v = 1; v <= deep; v++) chain.Node("Relu", [$"t{v - 1}"], [$"t{v}"], $"n{v}");
        chain.Node("Relu", [$"t{deep}"], ["out"], "last");
        var m = chain.Build();
        var c = new GraphContext(m, GraphIndex.TopologicalOrder(m.Graph, "t"), ["t0"], [], 1);
        var sw = System.Diagnostics.Stopwatch.StartNew();
        var d = SplitPointFinder.Dominators(c, "t0", "out")!;
        Assert.Equal(deep, d.Count);
        Assert.True(sw.Elapsed.TotalSeconds < 5, $"{sw.Elapsed.TotalSeconds:F2} s");
    }

    // The definition: removing t disconnects out from t0.
    private static bool Reaches(GraphContext ctx, string input, string output, string removed)
    {
        var seen = new HashSet<string> { input };
        var stack = new Stack<string>([input]);
        while (stack.TryPop(out var t))
        {
            if (t == output) return true;
            if (!ctx.Consumers.TryGetValue(t, out var consumers)) continue;
            foreach (var o in consumers.SelectMany(k => ctx.Nodes[k].Output))
                if (o != removed && seen.Add(o)) stack.Push(o);
        }
        return false;
    }

    [Fact]
    public void Inspect_InitializersSummarised_MetadataShown()
    {
        var b = new TestModelBuilder().Input("x", "N", 4L).Output("y");
        var prev = "x";
        for (var i = 0; i < 15; i++)
        {
            b.Weight($"W{i}", 4, 4).Weight($"b{i}", 4);
            b.Node("Gemm", [prev, $"W{i}", $"b{i}"], [$"h{i}"], $"/fc{i}/Gemm", Int("transB", 1));
            prev = $"h{i}";
        }
        b.Weight("big", 4, 9).Node("MatMul", [prev, "big"], ["y"], "/head/MatMul");
        var model = b.Build();
        model.Proto.DocString = "a test model";
        model.Proto.MetadataProps.Add(new global::Onnx.StringStringEntryProto { Key = "author", Value = "tests" });
        var a = ModelAnalysis.Analyze(model);
        Assert.Equal(31, a.Initializers!.Count);
        Assert.Equal("a test model", a.Identity.DocString);
        Assert.Equal([new MetadataEntry("author", "tests")], a.Identity.MetadataProps!);

        var table = GraphSectionBuilder.Initializers(a);
        // the 10 largest (big 4×9 first), "… 21 more", a total row
        Assert.Equal(GraphSectionBuilder.InitializerRows, table.Rows.Count);
        Assert.Equal("big", table.Rows[0][0].Text);
        Assert.Equal("… 21 more", table.Rows[^2][0].Text);
        Assert.Contains("31 initializers", table.Rows[^1][0].Text, StringComparison.Ordinal);
        Assert.Equal($"{15 * 20 + 36:N0} parameters", table.Rows[^1][3].Text);
        var meta = GraphSectionBuilder.Metadata(a);
        Assert.Contains(meta.Items, kv => kv.Key == "metadata_props: author" && kv.Value == "tests");
        Assert.Contains(meta.Items, kv => kv.Key == "Doc string" && kv.Value == "a test model");
    }
}
