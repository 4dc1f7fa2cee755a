using System.Runtime.InteropServices;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using OnnxAudit.Onnx;
using Onnx;
using OnnxAudit.Runtime;
using OnnxAudit.Tests.TestUtil;

namespace OnnxAudit.Tests.Onnx;

public sealed class ExternalDataTests : IDisposable
{
    private static readonly float[] Bias = [1.5f, -2f, 4f];
    private readonly string _root = RepoPaths.NewTempDir();
    private readonly string _dir;

    public ExternalDataTests()
    {
        _dir = Path.Combine(_root, "model");
        Directory.CreateDirectory(_dir);
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    /// <summary>Writes the bias to <paramref name="dataFile"/> at offset 16 (after 16 junk bytes) and a
    /// model whose initializer B points there.</summary>
    private string WriteModel(string location, string? dataFile = null, string? offset = "16", string? length = "12", string name = "ext.onnx")
    {
        if (dataFile is not null)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(dataFile)!);
            var bytes = new byte[16 + 12 + 8];
            Array.Fill(bytes, (byte)0xEE);
            MemoryMarshal.AsBytes(Bias.AsSpan()).CopyTo(bytes.AsSpan(16));
            File.WriteAllBytes(dataFile, bytes);
        }
        var m = TestModels.AddBias(Bias);
        var b = m.Graph.Initializer[0];
        b.RawData = ByteString.Empty;
        b.DataLocation = TensorProto.Types.DataLocation.External;
        b.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = location });
        if (offset is not null) b.ExternalData.Add(new StringStringEntryProto { Key = "offset", Value = offset });
        if (length is not null) b.ExternalData.Add(new StringStringEntryProto { Key = "length", Value = length });
        return TestModels.Write(_dir, name, m);
    }

    private static void AssertInlined(OnnxModel m)
    {
        var b = m.FindInitializer("B")!;
        Assert.Equal(Bias, TensorData.ToFloats(b));
        Assert.Empty(b.ExternalData);
        Assert.Equal(TensorProto.Types.DataLocation.Default, b.DataLocation);
        // self-contained: the serialized model parses back with the data inline
        var again = ModelProto.Parser.ParseFrom(m.ToBytes());
        Assert.Equal(Bias, TensorData.ToFloats(again.Graph.Initializer[0]));
    }

    [Fact]
    public void Load_ValidExternalData_InlinesIntoRawData()
    {
        var m = OnnxModel.Load(WriteModel("weights.bin", Path.Combine(_dir, "weights.bin")));
        AssertInlined(m);
    }

    [Fact]
    public void Load_ValidExternalData_RunsInOnnxRuntimeFromBytes()
    {
        var m = OnnxModel.Load(WriteModel("weights.bin", Path.Combine(_dir, "weights.bin")));
        using var session = SessionFactory.Create(m.ToBytes(), RuntimeOptions.Default, m.Origin);
        float[] x = [10f, 20f, 30f];
        using var value = OrtValue.CreateTensorValueFromMemory(x, [1, 3]);
        using var outputs = session.Run(new RunOptions(), ["X"], [value], ["Y"]);
        Assert.Equal([11.5f, 18f, 34f], outputs[0].GetTensorDataAsSpan<float>().ToArray());
    }

    [Fact]
    public void Load_ExternalDataInSubfolderAndDotDotStayingInside_Loads()
    {
        AssertInlined(OnnxModel.Load(WriteModel("data/w.bin", Path.Combine(_dir, "data", "w.bin"))));
        AssertInlined(OnnxModel.Load(WriteModel("data/../data/./w.bin", name: "dots.onnx")));
    }

    [Fact]
    public void Load_ExternalDataWithoutLength_ReadsToEndOfFile()
    {
        var data = Path.Combine(_dir, "tail.bin");
        File.WriteAllBytes(data, [0xEE, .. MemoryMarshal.AsBytes(Bias.AsSpan()).ToArray()]);
        AssertInlined(OnnxModel.Load(WriteModel("tail.bin", offset: "1", length: null)));
    }

    [Fact]
    public void Load_ExternalDataInConstantAttribute_Inlines()
    {
        File.WriteAllBytes(Path.Combine(_dir, "c.bin"), MemoryMarshal.AsBytes(Bias.AsSpan()).ToArray());
        var m = TestModels.AddBias(Bias);
        m.Graph.Initializer.Clear();
        var t = TensorData.FromFloats("B", [3], Bias);
        t.RawData = ByteString.Empty;
        t.DataLocation = TensorProto.Types.DataLocation.External;
        t.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = "c.bin" });
        var constant = new NodeProto { OpType = "Constant", Name = "c", Output = { "B" } };
        constant.Attribute.Add(new AttributeProto { Name = "value", Type = AttributeProto.Types.AttributeType.Tensor, T = t });
        m.Graph.Node.Insert(0, constant);
        var loaded = OnnxModel.Load(TestModels.Write(_dir, "const.onnx", m));
        var inlined = loaded.Graph.Node[0].Attribute[0].T;
        Assert.Equal(Bias, TensorData.ToFloats(inlined));
        Assert.Equal(TensorProto.Types.DataLocation.Default, inlined.DataLocation);
    }

    [Fact]
    public void Load_ExternalDataFileMissing_ThrowsModelLoadException()
    {
        var ex = TestModels.AssertLoadFails(WriteModel("gone.bin"), "external data file 'gone.bin' not found", "copy the data file next to the model");
        Assert.Contains("tensor 'B'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_ExternalDataAbsolutePath_ThrowsEvenWhenFileExists()
    {
        var data = Path.Combine(_dir, "weights.bin");
        TestModels.AssertLoadFails(WriteModel(data, data), "absolute path", "use a relative location");
    }

    [Theory]
    [InlineData("C:\\weights.bin")]
    [InlineData("\\\\server\\share\\weights.bin")]
    public void Load_ExternalDataWindowsAbsolutePath_Throws(string location)
        => TestModels.AssertLoadFails(WriteModel(location), "absolute path", "use a relative location");

    [Theory]
    [InlineData("../outside.bin")]
    [InlineData("data/../../outside.bin")]
    public void Load_ExternalDataEscapingFolder_ThrowsEvenWhenFileExists(string location)
    {
        WriteModel(location, Path.Combine(_root, "outside.bin")); // the file exists, outside the model folder
        TestModels.AssertLoadFails(Path.Combine(_dir, "ext.onnx"), "outside the model folder", "move the data file into the model's folder");
    }

    [Fact]
    public void Load_ExternalDataSymlinkToOutsideFile_Throws()
    {
        var outside = Path.Combine(_root, "secret.bin");
        WriteModel("link.bin", outside);
        File.CreateSymbolicLink(Path.Combine(_dir, "link.bin"), outside);
        TestModels.AssertLoadFails(Path.Combine(_dir, "ext.onnx"), "is a symbolic link to", "copy the data file into the model's folder");
    }

    [Fact]
    public void Load_ExternalDataThroughSymlinkedFolderOutside_Throws()
    {
        var outsideDir = Path.Combine(_root, "elsewhere");
        WriteModel("d/w.bin", Path.Combine(outsideDir, "w.bin"));
        Directory.CreateSymbolicLink(Path.Combine(_dir, "d"), outsideDir);
        TestModels.AssertLoadFails(Path.Combine(_dir, "ext.onnx"), "outside the model folder", "copy the data file into the model's folder");
    }

    [Fact]
    public void Load_ExternalDataSymlinkInsideFolder_Loads()
    {
        WriteModel("alias.bin", Path.Combine(_dir, "real.bin"));
        File.CreateSymbolicLink(Path.Combine(_dir, "alias.bin"), "real.bin");
        AssertInlined(OnnxModel.Load(Path.Combine(_dir, "ext.onnx")));
    }

    [Fact]
    public void Load_ModelInSymlinkedFolder_LoadsExternalData()
    {
        WriteModel("weights.bin", Path.Combine(_dir, "weights.bin"));
        var alias = Path.Combine(_root, "alias-folder");
        Directory.CreateSymbolicLink(alias, _dir);
        AssertInlined(OnnxModel.Load(Path.Combine(alias, "ext.onnx")));
    }

    [Theory]
    [InlineData("100", "12", "offset 100 and length 12")]
    [InlineData("30", "12", "offset 30 and length 12")]
    [InlineData("0", "1000", "offset 0 and length 1000")]
    [InlineData("37", null, "offset 37 and length (to end)")]
    public void Load_ExternalDataOffsetOrLengthOutOfRange_Throws(string offset, string? length, string expected)
    {
        var path = WriteModel("weights.bin", Path.Combine(_dir, "weights.bin"), offset, length);
        var ex = TestModels.AssertLoadFails(path, expected, "copy the data file that belongs to this model");
        Assert.Contains("file has only 36 bytes", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("-4")]
    [InlineData("ten")]
    [InlineData("")]
    public void Load_ExternalDataNonNumericOffset_Throws(string offset)
        => TestModels.AssertLoadFails(WriteModel("weights.bin", Path.Combine(_dir, "weights.bin"), offset), "expected a non-negative integer", "re-export the model");

    [Fact]
    public void Load_ExternalDataLengthNotMatchingDims_Throws()
    {
        var path = WriteModel("weights.bin", Path.Combine(_dir, "weights.bin"), "16", "8");
        TestModels.AssertLoadFails(path, "holds 8 bytes, expected 3 × 4 = 12", "copy the data file that belongs to this model");
    }

    [Fact]
    public void Load_ExternalDataWithoutLocation_Throws()
    {
        var m = TestModels.AddBias(Bias);
        var b = m.Graph.Initializer[0];
        b.RawData = ByteString.Empty;
        b.DataLocation = TensorProto.Types.DataLocation.External;
        TestModels.AssertLoadFails(TestModels.Write(_dir, "noloc.onnx", m), "has no 'location' entry", "re-export the model");
    }

    [Fact]
    public void Load_ExternalDataLocationIsFolder_Throws()
    {
        Directory.CreateDirectory(Path.Combine(_dir, "sub"));
        TestModels.AssertLoadFails(WriteModel("sub"), "is a directory, not a data file", "re-export the model");
    }

    [Fact]
    public void RealPath_ResolvesChainedAndRelativeLinks()
    {
        var a = Path.Combine(_root, "a");
        Directory.CreateDirectory(Path.Combine(a, "b"));
        File.WriteAllText(Path.Combine(a, "b", "f"), "x");
        Directory.CreateSymbolicLink(Path.Combine(_root, "l1"), "a");
        File.CreateSymbolicLink(Path.Combine(a, "lf"), "b/../b/f");
        Assert.Equal(Path.Combine(ExternalData.RealPath(_root), "a", "b", "f"), ExternalData.RealPath(Path.Combine(_root, "l1", "lf")));
    }
}
