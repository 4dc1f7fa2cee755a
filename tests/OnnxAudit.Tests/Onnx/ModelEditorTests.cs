using OnnxAudit.Errors;
using OnnxAudit.Onnx;
using OnnxAudit.Runtime;
using OnnxAudit.Tests.TestUtil;
using Onnx;

namespace OnnxAudit.Tests.Onnx;

public sealed class ModelEditorTests
{
    private static readonly float[] Bias = [1f, -2f, 0.5f, -4f];
    private static readonly float[] Scale = [2f, 3f, -1f, 0.25f];
    private static readonly float[] X = [0.5f, 1f, -3f, 2f];

    /// <summary>Y = Relu(X + B) · C, X float [1, 4]; tensors "a" (sum) and "r" (ReLU).</summary>
    private static OnnxModel Chain(bool skip = false)
    {
        var g = new GraphProto { Name = "chain" };
        g.Input.Add(TestModels.FloatValue("X", 1, 4));
        g.Output.Add(TestModels.FloatValue("Y", 1, 4));
        g.Initializer.Add(TensorData.FromFloats("B", [4], Bias));
        g.Initializer.Add(TensorData.FromFloats("C", [4], Scale));
        g.Node.Add(new NodeProto { OpType = "Add", Name = "add", Input = { "X", "B" }, Output = { "a" } });
        g.Node.Add(new NodeProto { OpType = "Relu", Name = "relu", Input = { "a" }, Output = { "r" } });
        // skip: Y = r · X, so Y reads the data input without passing through "r"
        g.Node.Add(new NodeProto { OpType = "Mul", Name = "mul", Input = { "r", skip ? "X" : "C" }, Output = { "Y" } });
        var m = new ModelProto { IrVersion = 8, ProducerName = "onnxaudit-tests", Graph = g };
        m.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 13 });
        return OnnxModel.FromProto(m, "chain.onnx");
    }

    private static float[] Run(OnnxModel model, float[] x)
    {
        using var session = new ModelSession(model);
        return session.RunAll(x, [1, x.Length]).Data;
    }

    private static float[] Expected(bool relu) =>
        [.. X.Select((v, i) => (relu ? Math.Max(0f, v + Bias[i]) : v + Bias[i]) * Scale[i])];

    [Fact]
    public void CutAt_Tensor_PrefixEndsThereAndSuffixStartsThere()
    {
        var model = Chain();
        var before = OnnxWireFormat.ToBytes(model.Proto);

        var cut = ModelEditor.CutAt(model, TestModels.FloatValue("r", 1, 4), prefixOrigin: "f1", suffixOrigin: "f2");

        Assert.Equal(["add", "relu"], cut.Prefix.Graph.Node.Select(n => n.Name));
        Assert.Equal(["r"], cut.Prefix.Graph.Output.Select(o => o.Name));
        Assert.Equal(["B"], cut.Prefix.Graph.Initializer.Select(t => t.Name));
        Assert.Equal(["X"], cut.Prefix.Graph.Input.Select(v => v.Name));
        Assert.Equal(["mul"], cut.Suffix.Graph.Node.Select(n => n.Name));
        Assert.Equal(["r"], cut.Suffix.Graph.Input.Select(v => v.Name));
        Assert.Equal(["C"], cut.Suffix.Graph.Initializer.Select(t => t.Name));
        Assert.Equal(("f1", "f2"), (cut.Prefix.Origin, cut.Suffix.Origin));
        Assert.Equal(before, OnnxWireFormat.ToBytes(model.Proto));
    }

    [Fact]
    public void CutAt_SuffixOfPrefix_EqualsModel()
    {
        var model = Chain();

        var cut = ModelEditor.CutAt(model, TestModels.FloatValue("a", 1, 4));

        Numerics.AssertClose(expected: Run(model, X), actual: Run(cut.Suffix, Run(cut.Prefix, X)), atol: 0, rtol: 0, what: "suffix(prefix(x))");
    }

    [Fact]
    public void CutAt_UnknownTensor_Throws()
    {
        var ex = Assert.Throws<OnnxAuditException>(() => ModelEditor.CutAt(Chain(), TestModels.FloatValue("nope", 1, 4)));
        Assert.Contains("tensor 'nope' is not produced by any node", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CutAt_OutputReachesInputAroundTensor_Throws()
    {
        var ex = Assert.Throws<OnnxAuditException>(() => ModelEditor.CutAt(Chain(skip: true), TestModels.FloatValue("r", 1, 4)));
        Assert.Contains("without passing through 'r'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void InsertProbes_ZeroProbe_AddsInitializerAndAddNode_KeepsValues()
    {
        var model = Chain();
        var before = OnnxWireFormat.ToBytes(model.Proto);

        var probed = ModelEditor.InsertProbes(model, [new TensorProbe("a", "probe:a", [1, 4])]);

        Assert.Equal(["add", "probe:a/add", "relu", "mul"], probed.Graph.Node.Select(n => n.Name));
        Assert.Equal(["a/probe_pre"], probed.Graph.Node[0].Output);
        Assert.Equal(["a/probe_pre", "probe:a"], probed.Graph.Node[1].Input);
        Assert.Equal(["a"], probed.Graph.Node[1].Output);
        var probe = probed.FindInitializer("probe:a");
        Assert.NotNull(probe);
        Assert.Equal([1L, 4L], probe.Dims);
        Assert.All(TensorData.ToFloats(probe), v => Assert.Equal(0f, v));
        Numerics.AssertClose(expected: Expected(relu: true), actual: Run(probed, X), atol: 0, rtol: 0, what: "probed model");
        Assert.Equal(before, OnnxWireFormat.ToBytes(model.Proto));
    }

    [Fact]
    public void InsertProbes_UnknownTensorOrTakenName_Throws()
    {
        var unknown = Assert.Throws<ModelLoadException>(() => ModelEditor.InsertProbes(Chain(), [new TensorProbe("nope", "p", [1])]));
        Assert.Contains("'nope' is not produced by any node", unknown.Message, StringComparison.Ordinal);
        var taken = Assert.Throws<ModelLoadException>(() => ModelEditor.InsertProbes(Chain(), [new TensorProbe("a", "B", [1])]));
        Assert.Contains("probe name 'B' is already used", taken.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void BypassNode_Relu_ConsumersReadItsInput()
    {
        var model = Chain();
        var before = OnnxWireFormat.ToBytes(model.Proto);

        var bypassed = ModelEditor.BypassNode(model, "r", "chain (no relu)");

        Assert.Equal(["add", "mul"], bypassed.Graph.Node.Select(n => n.Name));
        Assert.Equal(["a", "C"], bypassed.Graph.Node[1].Input);
        Assert.Equal("chain (no relu)", bypassed.Origin);
        Numerics.AssertClose(expected: Expected(relu: false), actual: Run(bypassed, X), atol: 0, rtol: 0, what: "bypassed model");
        Assert.Equal(before, OnnxWireFormat.ToBytes(model.Proto));
    }

    [Fact]
    public void BypassNode_GraphOutputOrUnknown_Throws()
    {
        var output = Assert.Throws<ModelLoadException>(() => ModelEditor.BypassNode(Chain(), "Y"));
        Assert.Contains("'Y' is a graph output", output.Message, StringComparison.Ordinal);
        var unknown = Assert.Throws<ModelLoadException>(() => ModelEditor.BypassNode(Chain(), "nope"));
        Assert.Contains("no single-output node produces 'nope'", unknown.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ExposeOutputs_Intermediate_AddsItOnce()
    {
        var exposed = ModelEditor.ExposeOutputs(Chain(), ["a", "Y", "a"]);

        Assert.Equal(["Y", "a"], exposed.Graph.Output.Select(o => o.Name));
        Assert.Throws<ModelLoadException>(() => ModelEditor.ExposeOutputs(Chain(), ["nope"]));
    }
}
