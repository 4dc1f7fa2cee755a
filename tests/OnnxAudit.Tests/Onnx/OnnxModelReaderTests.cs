using OnnxAudit.Runtime;
using Google.Protobuf;
using OnnxAudit.Onnx;
using Onnx;
using OnnxAudit.Tests.TestUtil;

namespace OnnxAudit.Tests.Onnx;

public sealed class OnnxModelReaderTests : IDisposable
{
    private readonly string _dir = RepoPaths.NewTempDir();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Load_ValidModel_ReadsGraphOpsetAndHash()
    {
        var proto = TestModels.AddBias();
        var path = TestModels.Write(_dir, "ok.onnx", proto);
        var m = OnnxModel.Load(path);
        Assert.Equal(proto, m.Proto);
        Assert.Equal(13, m.DefaultOpset);
        Assert.Equal(path, m.Origin);
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(path))), m.Sha256);
        Assert.Equal([1f, 2f, 3f], TensorData.ToFloats(m.FindInitializer("B")!));
        Assert.Null(m.FindInitializer("nope"));
    }

    [Fact]
    public void Load_MissingFile_ThrowsModelLoadException()
        => TestModels.AssertLoadFails(Path.Combine(_dir, "missing-model.onnx"), "model file not found", "check the path");

    [Fact]
    public void Load_Directory_ThrowsModelLoadException()
    {
        var sub = Path.Combine(_dir, "a-folder.onnx");
        Directory.CreateDirectory(sub);
        TestModels.AssertLoadFails(sub, "is a directory, not a model file", "pass the path of the .onnx file inside it");
    }

    [Fact]
    public void Load_EmptyFile_ThrowsModelLoadException()
    {
        var path = Path.Combine(_dir, "empty.onnx");
        File.WriteAllBytes(path, []);
        TestModels.AssertLoadFails(path, "file is empty (0 bytes)", "re-export or re-download");
    }

    [Theory]
    [InlineData(1, 4096)]
    [InlineData(2, 4096)]
    [InlineData(3, 100)]
    [InlineData(4, 17)]
    [InlineData(5, 1_000_000)]
    public void Load_RandomBytes_ThrowsNotValidProtobuf(int seed, int length)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        var path = Path.Combine(_dir, $"random-{seed}.onnx");
        File.WriteAllBytes(path, bytes);
        TestModels.AssertLoadFails(path, "not an ONNX model: the bytes are not a valid protobuf", "pass an .onnx file written by an ONNX exporter");
    }

    [Fact]
    public void Load_TextFile_ThrowsNotValidProtobuf()
    {
        var path = Path.Combine(_dir, "readme.onnx");
        File.WriteAllText(path, "This is not a model, just some text.\nSecond line.\n");
        TestModels.AssertLoadFails(path, "not an ONNX model", "pass an .onnx file");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Load_TruncatedFile_ThrowsModelLoadException(int denominator)
    {
        // a model with a large initializer so that every cut point falls inside a field
        var full = TestModels.AddBias(Enumerable.Range(0, 1000).Select(i => (float)i).ToArray()).ToByteArray();
        var cut = denominator == 1 ? full.Length - 1 : full.Length / denominator;
        var path = Path.Combine(_dir, $"cut-{denominator}.onnx");
        File.WriteAllBytes(path, full[..cut]);
        var ex = TestModels.AssertLoadFails(path, "the file is truncated", "re-download or re-export");
        Assert.Contains($"its {cut} bytes", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_SerializedTensorProto_ThrowsNotAModel()
    {
        var t = TensorData.FromFloats("input_0", [1, 3, 2, 2], Enumerable.Range(0, 12).Select(i => i * 0.5f).ToArray());
        var path = Path.Combine(_dir, "input_0.pb");
        File.WriteAllBytes(path, t.ToByteArray());
        TestModels.AssertLoadFails(path, "a valid protobuf but not an ONNX model", "pass the .onnx model file instead");
    }

    [Fact]
    public void Load_SerializedTensorProtoWithTypedFields_ThrowsNotAModel()
    {
        var t = new TensorProto { Name = "x", DataType = (int)TensorProto.Types.DataType.Float, FloatData = { 1f, 2f } };
        t.Dims.Add(2);
        var path = Path.Combine(_dir, "typed.pb");
        File.WriteAllBytes(path, t.ToByteArray());
        TestModels.AssertLoadFails(path, "not an ONNX model", "pass the .onnx model file instead");
    }

    [Fact]
    public void Load_EmptyProtobufMessage_ThrowsNotAModel()
    {
        // a protobuf of only unknown fields parses without error
        var path = Path.Combine(_dir, "other.bin");
        File.WriteAllBytes(path, TestModels.LengthDelimitedField(99, [1, 2, 3]));
        TestModels.AssertLoadFails(path, "no ir_version, graph or opset_import", "pass the .onnx model file instead");
    }

    [Fact]
    public void Load_ModelWithoutGraph_ThrowsModelLoadException()
    {
        var m = TestModels.AddBias();
        m.Graph = null;
        TestModels.AssertLoadFails(TestModels.Write(_dir, "nograph.onnx", m), "has no graph", "re-export the model");
    }

    [Fact]
    public void Load_ModelWithoutOpsetImport_ThrowsModelLoadException()
    {
        var m = TestModels.AddBias();
        m.OpsetImport.Clear();
        TestModels.AssertLoadFails(TestModels.Write(_dir, "noopset.onnx", m), "declares no opset_import", "re-export the model");
    }

    [Fact]
    public void Load_GraphWithoutNodes_ThrowsModelLoadException()
    {
        var m = TestModels.AddBias();
        m.Graph.Node.Clear();
        TestModels.AssertLoadFails(TestModels.Write(_dir, "nonodes.onnx", m), "graph 'add_bias' has no nodes", "re-export the model with its layers");
    }

    [Fact]
    public void Load_GraphWithoutOutputs_ThrowsModelLoadException()
    {
        var m = TestModels.AddBias();
        m.Graph.Output.Clear();
        TestModels.AssertLoadFails(TestModels.Write(_dir, "nooutputs.onnx", m), "graph 'add_bias' declares no outputs", "re-export the model with its output tensors");
    }

    [Fact]
    public void Load_GraphWithoutInputs_LoadsButAnalyzerRejects()
    {
        var m = TestModels.AddBias();
        m.Graph.Input.Clear();
        var path = TestModels.Write(_dir, "noinputs.onnx", m);
        var model = OnnxModel.Load(path);
        var ex = Assert.Throws<OnnxAudit.Errors.ModelLoadException>(() => OnnxAudit.Runtime.ModelAnalysis.Analyze(model));
        Assert.Contains("noinputs.onnx", ex.Message, StringComparison.Ordinal);
        Assert.Contains("no data input", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_SubgraphsNestedBeyondRecursionLimit_ThrowsModelLoadException()
    {
        var m = TestModels.AddBias();
        var inner = new GraphProto { Name = "leaf" };
        // each level is GraphProto → NodeProto → AttributeProto → GraphProto: 3 message levels
        for (var i = 0; i < 40; i++)
        {
            var node = new NodeProto { OpType = "If", Name = $"if{i}" };
            node.Attribute.Add(new AttributeProto { Name = "then_branch", Type = AttributeProto.Types.AttributeType.Graph, G = inner });
            inner = new GraphProto { Name = $"level{i}", Node = { node } };
        }
        m.Graph.Node.Add(inner.Node[0]);
        TestModels.AssertLoadFails(TestModels.Write(_dir, "deep.onnx", m), "nested deeper than 100 levels", "re-export the model");
    }

    [Fact]
    public void Load_ModerateSubgraphNesting_Loads()
    {
        var m = TestModels.AddBias();
        var inner = new GraphProto { Name = "leaf" };
        for (var i = 0; i < 20; i++)
        {
            var node = new NodeProto { OpType = "If", Name = $"if{i}" };
            node.Attribute.Add(new AttributeProto { Name = "then_branch", Type = AttributeProto.Types.AttributeType.Graph, G = inner });
            inner = new GraphProto { Name = $"level{i}", Node = { node } };
        }
        m.Graph.Node.Add(inner.Node[0]);
        Assert.Equal(m, OnnxModel.Load(TestModels.Write(_dir, "nested.onnx", m)).Proto);
    }

    [Fact]
    public void Load_CorruptNestedLength_ThrowsCorrupt()
    {
        // top-level fields intact, but the graph's first node claims more bytes than the graph holds
        var m = TestModels.AddBias();
        var bytes = m.ToByteArray();
        var graphBytes = m.Graph.ToByteArray();
        var at = bytes.AsSpan().IndexOf(graphBytes);
        Assert.True(at > 0);
        Assert.Equal(0x0A, bytes[at]); // GraphProto.node tag (field 1, length-delimited)
        bytes[at + 1] = 0x7F;          // node length 127 > what the graph holds
        var path = Path.Combine(_dir, "corrupt.onnx");
        File.WriteAllBytes(path, bytes);
        TestModels.AssertLoadFails(path, "the model file is corrupt", "re-export the model");
    }

    [Fact]
    public void Load_RelativePath_UsesPathAsOrigin()
    {
        var path = TestModels.Write(_dir, "rel.onnx", TestModels.AddBias());
        var rel = Path.GetRelativePath(Environment.CurrentDirectory, path);
        Assert.Equal(rel, OnnxModel.Load(rel).Origin);
    }
}
