using OnnxAudit.Onnx;
using Onnx;
using static OnnxAudit.Onnx.NodeAttributes;
using DataType = global::Onnx.TensorProto.Types.DataType;

namespace OnnxAudit.Audits.SplitInversion;

/// <summary>
/// Builds the black-box attacker's inverse network g (He et al., §black-box) as an ONNX model: input
/// <see cref="Input"/> (the split tensor's shape, batch "N"), output <see cref="Output"/> (N×C×H×W in (0,1)).
/// Spatial tensors C'×h×w with H/h = W/w = 2^k (k ≥ 0): ConvTranspose 3×3 (C' → 32) + ReLU, then k × [ConvTranspose
/// 4×4 stride 2 pad 1 (doubles h, w) + ReLU], then ConvTranspose 3×3 (→ C) and Sigmoid — transposed convolutions
/// mirroring f1's down-sampling. Other shapes (flat tensors, non-power-of-two ratios): Flatten → Gemm (→ 512) + ReLU →
/// Gemm (→ C·H·W) → Sigmoid → Reshape. Parameters start at PyTorch's default initialisation from the given random source.
/// </summary>
internal static class InverseNetwork
{
    /// <summary>The decoder's input name.</summary>
    public const string Input = "features";

    /// <summary>The decoder's output name.</summary>
    public const string Output = "reconstruction";

    /// <summary>Hidden channels of the convolutional decoder.</summary>
    public const int HiddenChannels = 32;

    /// <summary>Hidden width of the fully-connected decoder.</summary>
    public const int HiddenUnits = 512;

    /// <summary>Builds g for split-tensor per-sample shape <paramref name="featureShape"/> and images C×H×W.</summary>
    public static (OnnxModel Model, string Architecture) Build(IReadOnlyList<long> featureShape, (int C, int H, int W) image, Random rng)
    {
        var g = new GraphProto { Name = "inverse_network" };
        var layers = new List<string>();
        var inits = new List<(TensorProto T, long FanIn)>();
        var counter = 0;
        string Param(long[] dims, long fanIn)
        {
            var name = $"g.p{counter++}";
            var t = TensorData.FromFloats(name, dims, new float[dims.Aggregate(1L, (a, b) => a * b)]);
            inits.Add((t, fanIn));
            return name;
        }
        string Node(string op, IEnumerable<string> inputs, params AttributeProto[] attrs)
        {
            var outName = $"g.t{counter++}";
            var n = new NodeProto { OpType = op, Name = $"g.{op}{counter}" };
            n.Input.AddRange(inputs);
            n.Output.Add(outName);
            n.Attribute.AddRange(attrs);
            g.Node.Add(n);
            return outName;
        }
        string ConvT(string x, long cin, long cout, long k, long stride, long pad)
        {
            var w = Param([cin, cout, k, k], cin * k * k);
            var b = Param([cout], cin * k * k);
            return Node("ConvTranspose", [x, w, b], MakeInts("kernel_shape", [k, k]), MakeInts("strides", [stride, stride]), MakeInts("pads", [pad, pad, pad, pad]));
        }

        var (c, h, w) = image;
        var spatial = featureShape.Count == 4 && featureShape[2] > 0 && featureShape[3] > 0
            && h % featureShape[2] == 0 && w % featureShape[3] == 0 && h / featureShape[2] == w / featureShape[3]
            && IsPowerOfTwo(h / featureShape[2]);
        string y;
        if (spatial)
        {
            var cf = featureShape[1];
            var k = (int)Math.Round(Math.Log2(h / featureShape[2]));
            y = Node("Relu", [ConvT(Input, cf, HiddenChannels, 3, 1, 1)]);
            layers.Add($"ConvT3×3 {cf}→{HiddenChannels}+ReLU");
            for (var i = 0; i < k; i++)
            {
                y = Node("Relu", [ConvT(y, HiddenChannels, HiddenChannels, 4, 2, 1)]);
                layers.Add($"ConvT4×4/2 {HiddenChannels}→{HiddenChannels}+ReLU");
            }
            y = Node("Sigmoid", [ConvT(y, HiddenChannels, c, 3, 1, 1)]);
            layers.Add($"ConvT3×3 {HiddenChannels}→{c}+Sigmoid");
        }
        else
        {
            var d = featureShape.Skip(1).Aggregate(1L, (a, b) => a * b);
            var flat = featureShape.Count == 2 ? Input : Node("Flatten", [Input], MakeInt("axis", 1));
            var h1 = Node("Relu", [Node("Gemm", [flat, Param([HiddenUnits, d], d), Param([HiddenUnits], d)], MakeInt("transB", 1))]);
            var o = Node("Sigmoid", [Node("Gemm", [h1, Param([(long)c * h * w, HiddenUnits], HiddenUnits), Param([(long)c * h * w], HiddenUnits)], MakeInt("transB", 1))]);
            var shapeName = "g.shape";
            g.Initializer.Add(TensorData.FromInt64s(shapeName, [4], [-1, c, h, w]));
            y = Node("Reshape", [o, shapeName]);
            layers.Add($"FC {d}→{HiddenUnits}+ReLU");
            layers.Add($"FC {HiddenUnits}→{c * h * w}+Sigmoid");
        }
        g.Node.Add(new NodeProto { OpType = "Identity", Name = "g.out", Input = { y }, Output = { Output } });
        foreach (var (t, fanIn) in inits)
        {
            var v = new float[TensorData.ElementCount(t)];
            ParameterInit.Uniform(v, fanIn, rng);
            g.Initializer.Add(TensorData.FromFloats(t.Name, TensorData.Dims(t), v));
        }
        g.Input.Add(ModelSplitter.FloatValueInfo(Input, featureShape));
        g.Output.Add(ModelSplitter.FloatValueInfo(Output, [-1, c, h, w]));
        var proto = new ModelProto { IrVersion = 8, ProducerName = "onnx-audit", Graph = g };
        proto.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 17 });
        return (OnnxModel.FromProto(proto, "inverse network"), string.Join(" → ", layers));
    }

    /// <summary>Names of g's trainable parameters.</summary>
    public static List<string> ParameterNames(OnnxModel g) =>
        g.Graph.Initializer.Where(t => (DataType)t.DataType == DataType.Float).Select(t => t.Name).ToList();

    private static bool IsPowerOfTwo(long v) => v > 0 && (v & (v - 1)) == 0;
}
