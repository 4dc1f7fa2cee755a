using Google.Protobuf;
using OnnxAudit.Onnx;
using OnnxAudit.Tests.Onnx;
using Onnx;

namespace OnnxAudit.Tests.Hostile;

/// <summary>Small hand-built models for the hostile-input tests and the fuzz seeds.</summary>
internal static class HostileModels
{
    /// <summary>Y = X + C where C comes from a Constant node whose sparse_value's values are external data at
    /// <paramref name="location"/> (the issue 15 CWD read).</summary>
    public static ModelProto SparseConstant(string location)
    {
        var g = new GraphProto { Name = "sparse_const" };
        g.Input.Add(TestModels.FloatValue("X", 1, 4));
        g.Output.Add(TestModels.FloatValue("Y", 1, 4));
        var values = new TensorProto { Name = "secret_values", DataType = (int)TensorProto.Types.DataType.Float, DataLocation = TensorProto.Types.DataLocation.External };
        values.Dims.Add(2);
        values.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = location });
        values.ExternalData.Add(new StringStringEntryProto { Key = "length", Value = "8" });
        var sparse = new SparseTensorProto { Values = values, Indices = TensorData.FromInt64s("", [2], [0, 3]) };
        sparse.Dims.Add(1);
        sparse.Dims.Add(4);
        var c = new NodeProto { OpType = "Constant", Name = "leak", Output = { "C" } };
        c.Attribute.Add(new AttributeProto { Name = "sparse_value", Type = AttributeProto.Types.AttributeType.SparseTensor, SparseTensor = sparse });
        g.Node.Add(c);
        g.Node.Add(new NodeProto { OpType = "Add", Name = "add", Input = { "X", "C" }, Output = { "Y" } });
        return Model(g);
    }

    /// <summary>Y = X + B with B a sparse initializer [1, 4] holding 5 at 1 and 7 at 3.</summary>
    public static ModelProto SparseInitializer()
    {
        var g = new GraphProto { Name = "sparse_init" };
        g.Input.Add(TestModels.FloatValue("X", 1, 4));
        g.Output.Add(TestModels.FloatValue("Y", 1, 4));
        var sparse = new SparseTensorProto { Values = TensorData.FromFloats("B", [2], [5f, 7f]), Indices = TensorData.FromInt64s("", [2], [1, 3]) };
        sparse.Dims.Add(1);
        sparse.Dims.Add(4);
        g.SparseInitializer.Add(sparse);
        g.Node.Add(new NodeProto { OpType = "Add", Name = "add", Input = { "X", "B" }, Output = { "Y" } });
        return Model(g);
    }

    /// <summary>A chain of <paramref name="n"/> <paramref name="op"/> nodes on an input of <paramref name="dims"/>.</summary>
    public static ModelProto Chain(int n, string op = "Identity", params long[] dims)
    {
        if (dims.Length == 0) dims = [1, 4];
        var g = new GraphProto { Name = "chain" };
        g.Input.Add(TestModels.FloatValue("t0", dims));
        for (var i = 0; i < n; i++) g.Node.Add(new NodeProto { OpType = op, Name = $"n{i}", Input = { $"t{i}" }, Output = { $"t{i + 1}" } });
        g.Output.Add(TestModels.FloatValue($"t{n}", dims));
        return Model(g);
    }

    /// <summary>A tiny conv classifier: Conv(1→2, 3×3) → Relu → Flatten → Gemm(→3), input [1, 1, 6, 6].</summary>
    public static ModelProto TinyConv()
    {
        var g = new GraphProto { Name = "tiny_conv" };
        g.Input.Add(TestModels.FloatValue("x", 1, 1, 6, 6));
        g.Output.Add(TestModels.FloatValue("y", 1, 3));
        g.Initializer.Add(TensorData.FromFloats("w", [2, 1, 3, 3], Enumerable.Range(0, 18).Select(i => (i % 5) * 0.1f - 0.2f).ToArray()));
        g.Initializer.Add(TensorData.FromFloats("b", [2], [0.1f, -0.1f]));
        g.Initializer.Add(TensorData.FromFloats("fw", [3, 32], Enumerable.Range(0, 96).Select(i => (i % 7) * 0.05f - 0.1f).ToArray()));
        g.Initializer.Add(TensorData.FromFloats("fb", [3], [0f, 0.5f, -0.5f]));
        g.Node.Add(new NodeProto { OpType = "Conv", Name = "conv", Input = { "x", "w", "b" }, Output = { "c" } });
        g.Node.Add(new NodeProto { OpType = "Relu", Name = "relu", Input = { "c" }, Output = { "r" } });
        g.Node.Add(new NodeProto { OpType = "Flatten", Name = "flat", Input = { "r" }, Output = { "f" } });
        var gemm = new NodeProto { OpType = "Gemm", Name = "fc", Input = { "f", "fw", "fb" }, Output = { "y" } };
        gemm.Attribute.Add(new AttributeProto { Name = "transB", Type = AttributeProto.Types.AttributeType.Int, I = 1 });
        g.Node.Add(gemm);
        return Model(g);
    }

    public static ModelProto Model(GraphProto g)
    {
        var m = new ModelProto { IrVersion = 8, ProducerName = "onnxaudit-tests", Graph = g };
        m.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 13 });
        return m;
    }

    public static string Write(string folder, string name, ModelProto m)
    {
        var path = Path.Combine(folder, name);
        File.WriteAllBytes(path, OnnxWireFormat.ToBytes(m));
        return path;
    }
}
