using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using OnnxAudit.Onnx;
using OnnxAudit.Runtime;
using Onnx;

namespace OnnxAudit.Tests.Onnx;

/// <summary>ONNX's proto2 encoding of OnnxSharp's (proto3-generated) messages: presence of default values, packing,
/// field order, unknown fields.</summary>
public sealed class OnnxWireFormatTests
{
    private static string CorpusModel(string relative)
    {
        var path = Path.Combine(CorpusSweepTests.CorpusRoot, relative);
        Assert.True(File.Exists(path), $"{path} is missing: install the corpus with `apt-get install libonnx-testdata` (CI installs it).");
        return path;
    }

    [Fact]
    public void ToBytes_IntAttributeZero_WritesTheValueField()
    {
        var a = new AttributeProto { Name = "axis", Type = AttributeProto.Types.AttributeType.Int, I = 0 };
        // name (1) "axis", i (3) = 0, type (20) = INT (2); the proto3 writer leaves out i
        byte[] expected = [0x0A, 4, (byte)'a', (byte)'x', (byte)'i', (byte)'s', 0x18, 0x00, 0xA0, 0x01, 0x02];
        Assert.Equal(expected, OnnxWireFormat.ToBytes(a));
        Assert.Equal([0x0A, 4, (byte)'a', (byte)'x', (byte)'i', (byte)'s', 0xA0, 0x01, 0x02], a.ToByteArray());
    }

    [Fact]
    public void ToBytes_FloatAndStringAttributesAtDefault_WriteTheValueField()
    {
        var f = new AttributeProto { Name = "alpha", Type = AttributeProto.Types.AttributeType.Float, F = 0f };
        var s = new AttributeProto { Name = "mode", Type = AttributeProto.Types.AttributeType.String, S = ByteString.Empty };
        Assert.Contains((byte)0x15, OnnxWireFormat.ToBytes(f)); // tag of f (2, fixed32)
        Assert.Contains((byte)0x22, OnnxWireFormat.ToBytes(s)); // tag of s (4, length-delimited)
    }

    [Fact]
    public void ToBytes_Dims_AreUnpackedAsInOnnxProto_FloatData_Packed()
    {
        var t = new TensorProto { Dims = { 2, 3 }, DataType = 1, FloatData = { 1f } };
        byte[] expected = [0x08, 2, 0x08, 3, 0x10, 1, 0x22, 4, 0, 0, 0x80, 0x3F];
        Assert.Equal(expected, OnnxWireFormat.ToBytes(t));
    }

    [Fact]
    public void Load_ModelWithKeepdimsZero_WritesItBack_AndOnnxRuntimeHonoursIt()
    {
        var folder = CorpusModel("node/test_reduce_min_do_not_keepdims_example/model.onnx");
        var model = OnnxModel.Load(folder);
        var original = File.ReadAllBytes(folder);
        Assert.Equal(original, model.ToBytes());
        Assert.NotEqual(original, model.Proto.ToByteArray()); // proto3 drops keepdims = 0 (and packs dims)

        var dir = Path.GetDirectoryName(folder)!;
        var input = TensorProto.Parser.ParseFrom(File.ReadAllBytes(Path.Combine(dir, "test_data_set_0", "input_0.pb")));
        var expected = TensorProto.Parser.ParseFrom(File.ReadAllBytes(Path.Combine(dir, "test_data_set_0", "output_0.pb")));
        using var session = SessionFactory.Create(model.ToBytes(), RuntimeOptions.Default, model.Origin);
        var x = new DenseTensor<float>(TensorData.ToFloats(input), input.Dims.Select(d => (int)d).ToArray());
        var feeds = new List<NamedOnnxValue> { NamedOnnxValue.CreateFromTensor(session.InputNames[0], x) };
        using var results = session.Run(feeds);
        var y = results.First().AsTensor<float>();
        Assert.Equal(expected.Dims.ToArray(), y.Dimensions.ToArray().Select(d => (long)d).ToArray());
    }

    [Fact]
    public void Clone_KeepsPresence_SoTheCloneWritesTheSameBytes()
    {
        var path = CorpusModel("node/test_concat_2d_axis_0/model.onnx");
        var model = OnnxModel.Load(path);
        Assert.Equal(File.ReadAllBytes(path), model.Clone().ToBytes());
    }

    [Fact]
    public void ToBytes_UnknownFields_AreWrittenAfterKnownFields()
    {
        var bytes = OnnxWireFormat.ToBytes(new TensorProto { Name = "t" });
        var withUnknown = TensorProto.Parser.ParseFrom([.. bytes, 0xF8, 0x07, 0x05]); // field 127, varint 5
        Assert.Equal([.. bytes, 0xF8, 0x07, 0x05], OnnxWireFormat.ToBytes(withUnknown));
    }
}
