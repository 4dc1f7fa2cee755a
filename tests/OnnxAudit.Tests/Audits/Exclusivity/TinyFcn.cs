using OnnxAudit.Audits.Exclusivity;
using OnnxAudit.Onnx;
using Onnx;

namespace OnnxAudit.Tests.Audits.Exclusivity;

/// <summary>Builds small FCN classifiers in memory: input [batch, d0] → (Gemm, Relu)* → Gemm → logits.</summary>
internal static class TinyFcn
{
    /// <summary>weights[i] is [out, in] row-major (PyTorch layout, Gemm transB = 1); biases[i] may be null.</summary>
    public static OnnxModel Build(int[] widths, float[][] weights, float[]?[] biases, bool flattenImage = false, int[]? imageShape = null)
    {
        var g = new GraphProto { Name = "tiny" };
        var x = "input";
        var inDims = imageShape is null ? new long[] { -1, widths[0] } : [-1, .. imageShape.Select(v => (long)v)];
        g.Input.Add(Value("input", inDims));
        if (flattenImage)
        {
            g.Node.Add(new NodeProto { OpType = "Flatten", Name = "flatten", Input = { x }, Output = { "flat" }, Attribute = { new AttributeProto { Name = "axis", Type = AttributeProto.Types.AttributeType.Int, I = 1 } } });
            x = "flat";
        }
        for (var i = 0; i < weights.Length; i++)
        {
            var w = $"fc{i}.weight";
            g.Initializer.Add(TensorData.FromFloats(w, [widths[i + 1], widths[i]], weights[i]));
            var node = new NodeProto { OpType = "Gemm", Name = $"fc{i}", Input = { x, w }, Output = { i == weights.Length - 1 ? "logits" : $"fc{i}_out" } };
            node.Attribute.Add(new AttributeProto { Name = "transB", Type = AttributeProto.Types.AttributeType.Int, I = 1 });
            if (biases[i] is { } b)
            {
                g.Initializer.Add(TensorData.FromFloats($"fc{i}.bias", [widths[i + 1]], b));
                node.Input.Add($"fc{i}.bias");
            }
            g.Node.Add(node);
            if (i < weights.Length - 1)
            {
                g.Node.Add(new NodeProto { OpType = "Relu", Name = $"relu{i + 1}", Input = { $"fc{i}_out" }, Output = { $"relu{i + 1}_out" } });
                x = $"relu{i + 1}_out";
            }
        }
        g.Output.Add(Value("logits", [-1, widths[^1]]));
        var model = new ModelProto { IrVersion = 8, ProducerName = "tests", Graph = g };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 17 });
        return OnnxModel.FromProto(model, "tiny-fcn");
    }

    /// <summary>The head ReLU layers of a model built by <see cref="Build"/>.</summary>
    public static HeadReluLayer[] Layers(int[] widths) =>
        [.. Enumerable.Range(1, widths.Length - 2).Select(i => new HeadReluLayer(i, $"relu{i}_out", widths[i]))];

    /// <summary>Random weights ~ U(−a, a) with a = 1/sqrt(fan_in) (PyTorch's default init scale) and biases likewise.</summary>
    public static OnnxModel Random(int[] widths, int seed, bool bias = true, bool flattenImage = false, int[]? imageShape = null)
    {
        var rng = new Random(seed);
        var ws = new float[widths.Length - 1][];
        var bs = new float[widths.Length - 1][];
        for (var i = 0; i < ws.Length; i++)
        {
            var a = 1 / Math.Sqrt(widths[i]);
            ws[i] = [.. Enumerable.Range(0, widths[i] * widths[i + 1]).Select(_ => (float)((rng.NextDouble() * 2 - 1) * a))];
            bs[i] = [.. Enumerable.Range(0, widths[i + 1]).Select(_ => (float)((rng.NextDouble() * 2 - 1) * a))];
        }
        return Build(widths, ws, bias ? bs : new float[]?[ws.Length], flattenImage, imageShape);
    }

    private static ValueInfoProto Value(string name, long[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var d in dims) shape.Dim.Add(d < 0 ? new TensorShapeProto.Types.Dimension { DimParam = "batch" } : new TensorShapeProto.Types.Dimension { DimValue = d });
        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = shape } } };
    }
}
