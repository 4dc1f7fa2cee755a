using OnnxAudit.Autodiff;
using OnnxAudit.Onnx;
using Onnx;
using OnnxAudit.Tests.TestUtil;
using static OnnxAudit.Onnx.NodeAttributes;
using static OnnxAudit.Tests.Autodiff.OpHarness;

namespace OnnxAudit.Tests.Autodiff;

/// <summary>The shape arithmetic exporters emit for dynamic reshapes (issue 17: vit_b_16's '/Reshape_output_0') is folded,
/// so tensors behind it get static shapes with a symbolic batch.</summary>
public class ShapeFoldingTests
{
    private static NodeProto N(string op, string[] inputs, string output, params AttributeProto[] attrs)
    {
        var n = new NodeProto { OpType = op, Name = output + "_node" };
        n.Input.AddRange(inputs);
        n.Output.Add(output);
        n.Attribute.AddRange(attrs);
        return n;
    }

    /// <summary>A model with input x [N, 3, 4] (N symbolic), the given nodes and initializers, output y.</summary>
    private static OnnxModel Model(IEnumerable<NodeProto> nodes, IEnumerable<TensorProto> inits, long opset = 17)
    {
        var shape = new TensorShapeProto();
        shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimParam = "N" });
        shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = 3 });
        shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = 4 });
        var g = new GraphProto { Name = "fold" };
        g.Input.Add(new ValueInfoProto { Name = "x", Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = shape } } });
        g.Initializer.AddRange(inits);
        g.Node.AddRange(nodes);
        g.Output.Add(new ValueInfoProto { Name = "y", Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float } } });
        var m = new ModelProto { IrVersion = 8, Graph = g, ProducerName = "tests" };
        m.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = opset });
        return OnnxModel.FromProto(m, "fold");
    }

    private static Dictionary<string, long[]> Shapes(OnnxModel m)
    {
        var g = m.Graph;
        var consts = new ConstantTable(g);
        return ShapeInference.Infer(g, m.DefaultOpset, consts);
    }

    [Fact]
    public void ShapeGatherConcatReshape_FoldsToStaticShapeWithSymbolicBatch()
    {
        // torch's x.reshape(x.shape[0], -1): Shape → Gather(0) → Unsqueeze → Concat([n, −1]) → Reshape
        var m = Model(
        [
            N("Shape", ["x"], "s"),
            N("Gather", ["s", "zero"], "n", MakeInt("axis", 0)),
            N("Unsqueeze", ["n", "axes0"], "n1"),
            N("Concat", ["n1", "minus1"], "newshape", MakeInt("axis", 0)),
            N("Reshape", ["x", "newshape"], "r"),
            N("Relu", ["r"], "y"),
        ],
        [TensorData.FromInt64s("zero", [], [0]), I64("axes0", 0), I64("minus1", -1)]);
        var shapes = Shapes(m);
        Assert.Equal([ShapeInference.Batch, 12], shapes["r"]);
        Assert.Equal([ShapeInference.Batch, 12], shapes["y"]);
        // the squared-error loss at y needs its static shape (this is what `split` failed on)
        var grad = GradientGraphBuilder.Build(m, new GradientRequest(new SquaredErrorLoss("y"), ["x"]));
        using var s = Session(grad);
        var x = Enumerable.Range(0, 24).Select(i => (float)(i - 11.5)).ToArray();
        var outs = Run(s, [("x", x, [2, 3, 4]), (GradientNames.Target, new float[24], [2, 12])]);
        // dL/dx = 2·relu(x)/24 where x > 0
        Numerics.AssertClose(expected: x.Select(v => v > 0 ? 2 * v / 24 : 0).ToArray(), actual: outs[GradientNames.Gradient("x")].Data, atol: 1e-6, rtol: 1e-5, what: "dx");
    }

    [Fact]
    public void ExpandWithMinusOne_FoldsWhereEqualConstantOfShape()
    {
        // torch's token.expand(n, −1, −1) at opset 17: shape = Where(Equal([n, −1, −1], −1), ones, [n, −1, −1]) → Expand
        var m = Model(
        [
            N("Shape", ["x"], "s"),
            N("Gather", ["s", "zero"], "n", MakeInt("axis", 0)),
            N("Unsqueeze", ["n", "axes0"], "n1"),
            N("Concat", ["n1", "minus1x2"], "req", MakeInt("axis", 0)),
            N("ConstantOfShape", ["three"], "ones", MakeTensor("value", TensorData.FromInt64s("", [1], [1]))),
            N("Equal", ["req", "minus1"], "isneg"),
            N("Where", ["isneg", "ones", "req"], "shape"),
            N("Expand", ["token", "shape"], "tok"),
            N("Concat", ["tok", "x"], "cat", MakeInt("axis", 1)),
            N("Identity", ["cat"], "y"),
        ],
        [TensorData.FromInt64s("zero", [], [0]), I64("axes0", 0), I64("minus1x2", -1, -1), I64("three", 3), TensorData.FromInt64s("minus1", [], [-1]),
         TensorData.FromFloats("token", [1, 1, 4], [1, 2, 3, 4])]);
        var shapes = Shapes(m);
        Assert.Equal([ShapeInference.Batch, 1, 4], shapes["tok"]);
        Assert.Equal([ShapeInference.Batch, 4, 4], shapes["y"]);
        var grad = GradientGraphBuilder.Build(m, new GradientRequest(new SquaredErrorLoss("y"), ["token"]));
        using var s = Session(grad);
        var outs = Run(s, [("x", new float[24], [2, 3, 4]), (GradientNames.Target, new float[32], [2, 4, 4])]);
        // y holds the token once per sample: dL/dtoken = Σ_n 2·token/32 = 2·2·token/32
        Numerics.AssertClose(expected: new float[] { 1, 2, 3, 4 }.Select(v => v / 8).ToArray(), actual: outs[GradientNames.Gradient("token")].Data, atol: 1e-6, rtol: 1e-5, what: "dtoken");
    }

    [Fact]
    public void BatchTimesHeads_FoldsToAMultipleOfTheBatch()
    {
        // attention's view(n·heads, ...): Shape → Gather(0) → Mul(3) → Concat([3n, 4]) → Reshape gives [3N, 4] (−3 statically),
        // declared as the symbolic dimension "3N" on the squared-error target
        var m = Model(
        [
            N("Shape", ["x"], "s"),
            N("Gather", ["s", "zero"], "n", MakeInt("axis", 0)),
            N("Mul", ["n", "three"], "n3"),
            N("Unsqueeze", ["n3", "axes0"], "n31"),
            N("Concat", ["n31", "four"], "newshape", MakeInt("axis", 0)),
            N("Reshape", ["x", "newshape"], "r"),
            N("Mul", ["r", "r"], "y"),
        ],
        [TensorData.FromInt64s("zero", [], [0]), TensorData.FromInt64s("three", [], [3]), I64("axes0", 0), I64("four", 4)]);
        Assert.Equal([-3L, 4], Shapes(m)["y"]);
        var grad = GradientGraphBuilder.Build(m, new GradientRequest(new SquaredErrorLoss("y"), ["x"]));
        Assert.Equal("3N", grad.Graph.Input.First(i => i.Name == GradientNames.Target).Type.TensorType.Shape.Dim[0].DimParam);
        using var s = Session(grad);
        var x = Enumerable.Range(0, 24).Select(i => (float)(i - 11.5) / 10).ToArray();
        var outs = Run(s, [("x", x, [2, 3, 4]), (GradientNames.Target, new float[24], [6, 4])]);
        // L = mean(x⁴) → dL/dx = 4x³/24
        Numerics.AssertClose(expected: x.Select(v => 4 * v * v * v / 24).ToArray(), actual: outs[GradientNames.Gradient("x")].Data, atol: 1e-6, rtol: 1e-5, what: "dx");
    }
}
