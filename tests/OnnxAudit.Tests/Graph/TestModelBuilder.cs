using System.Text;
using Google.Protobuf;
using OnnxAudit.Onnx;
using Onnx;

namespace OnnxAudit.Tests.Graph;

/// <summary>Builds small ONNX models in code for analyzer tests.</summary>
internal sealed class TestModelBuilder
{
    private readonly ModelProto _model;
    private int _seed = 1;

    public TestModelBuilder(long opset = 17)
    {
        _model = new ModelProto { IrVersion = 8, ProducerName = "tests", ProducerVersion = "1", Graph = new GraphProto { Name = "g" } };
        _model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = opset });
    }

    private GraphProto G => _model.Graph;

    /// <summary>A float input; dims are longs or strings (symbolic).</summary>
    public TestModelBuilder Input(string name, params object[] dims)
    {
        G.Input.Add(Value(name, dims));
        return this;
    }

    /// <summary>A float output; with no dims the shape is left undeclared.</summary>
    public TestModelBuilder Output(string name, params object[] dims)
    {
        G.Output.Add(Value(name, dims));
        return this;
    }

    /// <summary>A float initializer with small deterministic values.</summary>
    public TestModelBuilder Weight(string name, params long[] dims)
    {
        var n = (int)dims.Aggregate(1L, (a, b) => a * b);
        var data = Enumerable.Range(0, n).Select(i => (float)Math.Sin(_seed * 1000 + i) * 0.5f).ToArray();
        _seed++;
        G.Initializer.Add(TensorData.FromFloats(name, dims, data));
        return this;
    }

    /// <summary>A 1-D int64 initializer.</summary>
    public TestModelBuilder Int64s(string name, params long[] values)
    {
        G.Initializer.Add(TensorData.FromInt64s(name, [values.Length], values));
        return this;
    }

    public TestModelBuilder Node(string op, string[] inputs, string[] outputs, string name = "", params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = op, Name = name };
        node.Input.AddRange(inputs);
        node.Output.AddRange(outputs);
        node.Attribute.AddRange(attributes);
        G.Node.Add(node);
        return this;
    }

    /// <summary>Reorders the nodes by the given file permutation (new position i holds old node order[i]).</summary>
    public TestModelBuilder Permute(params int[] order)
    {
        var nodes = G.Node.ToList();
        G.Node.Clear();
        G.Node.AddRange(order.Select(i => nodes[i]));
        return this;
    }

    public OnnxModel Build(string origin = "test.onnx") => OnnxModel.FromProto(_model.Clone(), origin);

    public static AttributeProto Ints(string name, params long[] v)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        a.Ints.AddRange(v);
        return a;
    }

    public static AttributeProto Int(string name, long v) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = v };

    public static AttributeProto Float(string name, float v) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = v };

    public static AttributeProto Str(string name, string v) => new() { Name = name, Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFrom(Encoding.UTF8.GetBytes(v)) };

    private static ValueInfoProto Value(string name, object[] dims)
    {
        var tt = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float };
        if (dims.Length > 0)
        {
            tt.Shape = new TensorShapeProto();
            foreach (var d in dims)
            {
                tt.Shape.Dim.Add(d is string s ? new TensorShapeProto.Types.Dimension { DimParam = s } : new TensorShapeProto.Types.Dimension { DimValue = Convert.ToInt64(d, System.Globalization.CultureInfo.InvariantCulture) });
            }
        }
        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = tt } };
    }
}
