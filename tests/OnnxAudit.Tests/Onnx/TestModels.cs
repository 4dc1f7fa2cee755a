using Google.Protobuf;
using OnnxAudit.Errors;
using OnnxAudit.Onnx;
using Onnx;

namespace OnnxAudit.Tests.Onnx;

/// <summary>Hand-built ONNX models for the importer tests.</summary>
internal static class TestModels
{
    /// <summary>Y = X + B with X float [1, 3] and initializer B = [1, 2, 3] (raw_data), opset 13.</summary>
    public static ModelProto AddBias(float[]? bias = null)
    {
        bias ??= [1f, 2f, 3f];
        var g = new GraphProto { Name = "add_bias" };
        g.Input.Add(FloatValue("X", 1, bias.Length));
        g.Output.Add(FloatValue("Y", 1, bias.Length));
        g.Initializer.Add(TensorData.FromFloats("B", [bias.Length], bias));
        g.Node.Add(new NodeProto { OpType = "Add", Name = "add", Input = { "X", "B" }, Output = { "Y" } });
        var m = new ModelProto { IrVersion = 8, ProducerName = "onnxaudit-tests", Graph = g };
        m.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 13 });
        return m;
    }

    public static ValueInfoProto FloatValue(string name, params long[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var d in dims) shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = d });
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = shape } },
        };
    }

    public static string Write(string folder, string fileName, ModelProto m)
    {
        var path = Path.Combine(folder, fileName);
        File.WriteAllBytes(path, m.ToByteArray());
        return path;
    }

    /// <summary>Loads and asserts a one-line ModelLoadException that names the file, the problem and the fix.</summary>
    public static ModelLoadException AssertLoadFails(string path, string problem, string fix)
    {
        var ex = Assert.Throws<ModelLoadException>(() => OnnxModel.Load(path));
        AssertMessage(ex.Message, Path.GetFileName(path), problem, fix);
        return ex;
    }

    public static void AssertMessage(string message, string fileName, string problem, string fix)
    {
        Assert.False(message.Contains('\n', StringComparison.Ordinal) || message.Contains('\r', StringComparison.Ordinal), $"not one line: {message}");
        foreach (var (what, part) in new[] { ("file name", fileName), ("problem", problem), ("fix", fix) })
            Assert.True(message.Contains(part, StringComparison.Ordinal), $"message lacks the {what} '{part}': {message}");
    }

    /// <summary>The bytes of one length-delimited protobuf field.</summary>
    public static byte[] LengthDelimitedField(int fieldNumber, byte[] payload)
    {
        using var ms = new MemoryStream();
        var cos = new CodedOutputStream(ms);
        cos.WriteTag(fieldNumber, WireFormat.WireType.LengthDelimited);
        cos.WriteBytes(ByteString.CopyFrom(payload));
        cos.Flush();
        return ms.ToArray();
    }
}
