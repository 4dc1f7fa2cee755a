using Google.Protobuf;
using OnnxAudit.Errors;
using OnnxAudit.Onnx;
using Onnx;
using OnnxAudit.Tests.TestUtil;

namespace OnnxAudit.Tests.Onnx;

public sealed class OnnxModelWriterTests : IDisposable
{
    private readonly string _dir = RepoPaths.NewTempDir();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    // A TrainingInfoProto-shaped payload (ModelProto field 20):
    // initialization = GraphProto{name = "init"} (field 1).
    private static readonly byte[] TrainingInfo = TestModels.LengthDelimitedField(20,
        TestModels.LengthDelimitedField(1, TestModels.LengthDelimitedField(2, "init"u8.ToArray())));

    // A SparseTensorProto-shaped payload (GraphProto field 15 sparse_initializer).
    private static readonly byte[] SparseInitializer = TestModels.LengthDelimitedField(15,
        TestModels.LengthDelimitedField(1, new TensorProto { Name = "S", DataType = 1, FloatData = { 7f } }.ToByteArray()));

    // Fields of ONNX 1.18 that OnnxSharp 0.3.2 does not declare, so they are unknown fields of its messages:
    // ModelProto.configuration (26) = DeviceConfigurationProto{name = "gpu0"} and
    // NodeProto.device_configurations (10) = NodeDeviceConfigurationProto{configuration_id = "gpu0"}.
    private static readonly byte[] Configuration = TestModels.LengthDelimitedField(26, TestModels.LengthDelimitedField(1, "gpu0"u8.ToArray()));
    private static readonly byte[] NodeConfiguration = TestModels.LengthDelimitedField(10, TestModels.LengthDelimitedField(1, "gpu0"u8.ToArray()));

    /// <summary>A model whose bytes carry fields added by hand at model, graph and node level, two of them
    /// unknown to OnnxSharp.</summary>
    private static byte[] ModelWithUnknownFields()
    {
        var m = TestModels.AddBias();
        var node = NodeProto.Parser.ParseFrom([.. m.Graph.Node[0].ToByteArray(), .. NodeConfiguration]);
        m.Graph.Node[0] = node;
        var graph = GraphProto.Parser.ParseFrom([.. m.Graph.ToByteArray(), .. SparseInitializer]);
        m.Graph = graph;
        return [.. m.ToByteArray(), .. TrainingInfo, .. Configuration];
    }

    [Fact]
    public void SaveThenLoad_UnknownFields_SurviveByteEqual()
    {
        var bytes = ModelWithUnknownFields();
        var src = Path.Combine(_dir, "unknown.onnx");
        File.WriteAllBytes(src, bytes);
        var m = OnnxModel.Load(src);
        var dst = Path.Combine(_dir, "copy.onnx");
        m.Save(dst);
        var written = File.ReadAllBytes(dst);
        Assert.Equal(bytes, written);
        Assert.True(written.AsSpan().IndexOf(TrainingInfo) >= 0, "training_info bytes lost");
        Assert.True(written.AsSpan().IndexOf(SparseInitializer) >= 0, "sparse_initializer bytes lost");
        Assert.True(written.AsSpan().IndexOf(Configuration) >= 0, "configuration (unknown field) bytes lost");
        Assert.True(written.AsSpan().IndexOf(NodeConfiguration) >= 0, "node device_configurations (unknown field) bytes lost");
        var again = OnnxModel.Load(dst);
        Assert.Equal(m.Proto, again.Proto);
        Assert.Equal(m.ToBytes(), again.ToBytes());
    }

    [Fact]
    public void UnknownFieldCheck_CanFail_WhenAParserDropsUnknownFields()
    {
        // the same check against a parser that discards unknown fields must see a difference
        var bytes = ModelWithUnknownFields();
        var dropped = ModelProto.Parser.WithDiscardUnknownFields(true).ParseFrom(bytes).ToByteArray();
        Assert.NotEqual(bytes, dropped);
        Assert.True(dropped.AsSpan().IndexOf(Configuration) < 0);
        Assert.True(dropped.AsSpan().IndexOf(NodeConfiguration) < 0);
    }

    [Fact]
    public void Save_OverwritesExistingFileAndLeavesNoTempFiles()
    {
        var path = Path.Combine(_dir, "m.onnx");
        File.WriteAllText(path, "old content");
        var m = OnnxModel.FromProto(TestModels.AddBias(), "in-memory");
        m.Save(path);
        Assert.Equal(m.ToBytes(), File.ReadAllBytes(path));
        Assert.Equal(["m.onnx"], Directory.GetFiles(_dir).Select(Path.GetFileName));
    }

    [Fact]
    public void Save_FailureLeavesDestinationUntouchedAndNoTempFiles()
    {
        // a 250-character file name is valid, but the temp name derived from it exceeds the 255-byte limit
        var path = Path.Combine(_dir, new string('m', 245) + ".onnx");
        File.WriteAllText(path, "old content");
        var ex = Assert.Throws<OnnxAuditException>(() => OnnxModel.FromProto(TestModels.AddBias(), "mem").Save(path));
        TestModels.AssertMessage(ex.Message, Path.GetFileName(path), "cannot write the model", "check that the folder is writable");
        Assert.Equal("old content", File.ReadAllText(path));
        Assert.Single(Directory.GetFiles(_dir));
    }

    [Fact]
    public void Save_MissingFolder_ThrowsWithFix()
    {
        var path = Path.Combine(_dir, "no-such-folder", "m.onnx");
        var ex = Assert.Throws<OnnxAuditException>(() => OnnxModel.FromProto(TestModels.AddBias(), "mem").Save(path));
        TestModels.AssertMessage(ex.Message, "m.onnx", "does not exist", "create it first");
        Assert.False(Directory.Exists(Path.GetDirectoryName(path)));
    }

    [Fact]
    public void Save_ToDirectory_ThrowsWithFix()
    {
        var ex = Assert.Throws<OnnxAuditException>(() => OnnxModel.FromProto(TestModels.AddBias(), "mem").Save(_dir));
        TestModels.AssertMessage(ex.Message, Path.GetFileName(_dir), "is a directory", "pass a file path");
    }

    [Fact]
    public void Clone_IsDeepAndKeepsHash()
    {
        var m = OnnxModel.FromProto(TestModels.AddBias(), "mem");
        var c = m.Clone("copy");
        c.Graph.Node[0].OpType = "Sub";
        Assert.Equal("Add", m.Graph.Node[0].OpType);
        Assert.Equal(m.Sha256, c.Sha256);
        Assert.Equal("copy", c.Origin);
        Assert.Equal("mem", m.Clone().Origin);
    }

    [Fact]
    public void FromProto_HashIsOfSerializedBytes()
    {
        var proto = TestModels.AddBias();
        var m = OnnxModel.FromProto(proto, "mem");
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(OnnxWireFormat.ToBytes(proto))), m.Sha256);
        Assert.Same(proto, m.Proto);
    }
}
