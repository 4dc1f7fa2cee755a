using OnnxAudit.Onnx;
using Onnx;
using static OnnxAudit.Onnx.NodeAttributes;
using DataType = global::Onnx.TensorProto.Types.DataType;

namespace OnnxAudit.Audits.SplitInversion;

/// <summary>
/// Builds the black-box attacker's inverse network g (He et al., §black-box) as an ONNX model: input
/// <see cref="Input"/> (the split tensor's shape, batch "N"), output <see cref="Output"/> (N×C×H×W in (0,1)).
/// Spatial tensors C'×h×w with H/h = W/w = 2^k (k ≥ 0): ConvTranspose 3×3 (C' → 32) + ReLU, then k × [ConvTranspose
/// 4×4 stride 2 pad 1 (doubles h, w) + ReLU; 16 channels for maps above 32×32], then ConvTranspose 3×3 (→ C) and
/// Sigmoid — transposed convolutions mirroring f1's down-sampling. Images above <see cref="MaxDecoderPixels"/> pixels are
/// decoded at H/2^j × W/2^j and resized bilinearly to H×W (see <see cref="OutputHalvings"/>). Other shapes (flat tensors, non-power-of-two ratios): Flatten → Gemm (→ 512) + ReLU →
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
        var fh = featureShape.Count == 4 ? featureShape[2] : 0;
        var fw = featureShape.Count == 4 ? featureShape[3] : 0;
        var j = OutputHalvings(h, w, fh, fw);
        var (hd, wd) = (h >> j, w >> j);
        var spatial = featureShape.Count == 4 && fh > 0 && fw > 0
            && hd % fh == 0 && wd % fw == 0 && hd / fh == wd / fw
            && IsPowerOfTwo(hd / fh);
        string y;
        if (spatial)
        {
            var cf = featureShape[1];
            var k = (int)Math.Round(Math.Log2(hd / fh));
            long ch = HiddenChannels;
            y = Node("Relu", [ConvT(Input, cf, ch, 3, 1, 1)]);
            layers.Add($"ConvT3×3 {cf}→{ch}+ReLU");
            var r = fh;
            for (var i = 0; i < k; i++)
            {
                r *= 2;
                var next = ChannelsAt(r);
                y = Node("Relu", [ConvT(y, ch, next, 4, 2, 1)]);
                layers.Add($"ConvT4×4/2 {ch}→{next}+ReLU");
                ch = next;
            }
            y = Node("Sigmoid", [ConvT(y, ch, c, 3, 1, 1)]);
            layers.Add($"ConvT3×3 {ch}→{c}+Sigmoid");
        }
        else
        {
            var d = featureShape.Skip(1).Aggregate(1L, (a, b) => a * b);
            var flat = featureShape.Count == 2 ? Input : Node("Flatten", [Input], MakeInt("axis", 1));
            var h1 = Node("Relu", [Node("Gemm", [flat, Param([HiddenUnits, d], d), Param([HiddenUnits], d)], MakeInt("transB", 1))]);
            var o = Node("Sigmoid", [Node("Gemm", [h1, Param([(long)c * hd * wd, HiddenUnits], HiddenUnits), Param([(long)c * hd * wd], HiddenUnits)], MakeInt("transB", 1))]);
            var shapeName = "g.shape";
            g.Initializer.Add(TensorData.FromInt64s(shapeName, [4], [-1, c, hd, wd]));
            y = Node("Reshape", [o, shapeName]);
            layers.Add($"FC {d}→{HiddenUnits}+ReLU");
            layers.Add($"FC {HiddenUnits}→{c * hd * wd}+Sigmoid");
        }
        if (j > 0)
        {
            // why: the decoder's cost grows with its output resolution (the last transposed convolutions dominate a training
            // step); above MaxDecoderPixels it works at H/2^j × W/2^j and a fixed bilinear Resize (no parameters, ONNX
            // half_pixel) brings the reconstruction to H×W, so the loss and every metric are still measured at full size.
            var scales = "g.resize_scales";
            g.Initializer.Add(TensorData.FromFloats(scales, [4], [1f, 1f, 1 << j, 1 << j]));
            y = Node("Resize", [y, "", scales], MakeStr("mode", "linear"));
            layers.Add($"bilinear ×{1 << j} ({hd}×{wd} → {h}×{w})");
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

    /// <summary>The cost of g for the time plan, without building it: multiply-adds plus output elements per image, layers
    /// (nodes) and trainable parameters; the same architecture rules as <see cref="Build"/>.</summary>
    internal static (double UnitsPerImage, int Layers, double Parameters) Cost(IReadOnlyList<long> featureShape, (int C, int H, int W) image)
    {
        var (c, h, w) = image;
        var fh = featureShape.Count == 4 ? featureShape[2] : 0;
        var fw = featureShape.Count == 4 ? featureShape[3] : 0;
        var j = OutputHalvings(h, w, fh, fw);
        var (hd, wd) = (h >> j, w >> j);
        var spatial = featureShape.Count == 4 && fh > 0 && fw > 0 && hd % fh == 0 && wd % fw == 0 && hd / fh == wd / fw && IsPowerOfTwo(hd / fh);
        double units = 0, parameters = 0;
        var layers = 0;
        if (spatial)
        {
            var cf = featureShape[1];
            var k = (int)Math.Round(Math.Log2(hd / fh));
            long ch = HiddenChannels;
            double px = fh * fw;
            var t = SplitBudgetPlanner.TransposedConvolutionFactor;
            units += t * px * ch * cf * 9 + 2 * px * ch;
            parameters += cf * ch * 9 + ch;
            layers += 2;
            for (var i = 0; i < k; i++)
            {
                px *= 4;
                var next = ChannelsAt((long)Math.Round(fh * Math.Pow(2, i + 1)));
                // a 4×4 stride-2 transposed convolution: every output pixel sums 2×2 taps of every input channel
                units += t * px * next * ch * 4 + 2 * px * next;
                parameters += ch * next * 16 + next;
                layers += 2;
                ch = next;
            }
            units += t * px * c * ch * 9 + 2 * px * c;
            parameters += ch * c * 9 + c;
            layers += 2;
        }
        else
        {
            var d = featureShape.Skip(1).Aggregate(1.0, (a, b) => a * b);
            var o = (double)c * hd * wd;
            units += d * HiddenUnits + 2 * HiddenUnits + o * HiddenUnits + 3 * o;
            parameters += d * HiddenUnits + HiddenUnits + o * HiddenUnits + o;
            layers += featureShape.Count == 2 ? 5 : 6;
        }
        if (j > 0)
        {
            units += (double)c * h * w;
            layers++;
        }
        return (units, layers + 1, parameters);
    }

    /// <summary>Names of g's trainable parameters.</summary>
    public static List<string> ParameterNames(OnnxModel g) =>
        g.Graph.Initializer.Where(t => (DataType)t.DataType == DataType.Float && t.Name.StartsWith(ParameterPrefix, StringComparison.Ordinal)).Select(t => t.Name).ToList();

    private const string ParameterPrefix = "g.p";

    /// <summary>Output pixels (H·W) above which the decoder works at a halved resolution and upsamples bilinearly.</summary>
    public const int MaxDecoderPixels = 64 * 64;

    /// <summary>How many times the decoder's output resolution is halved for images H×W and a split tensor of spatial
    /// size fh×fw (0×0 = flat): the fewest halvings that bring H·W to at most <see cref="MaxDecoderPixels"/>, never below
    /// the split tensor's own resolution and only while H and W stay even.</summary>
    internal static int OutputHalvings(int h, int w, long fh, long fw)
    {
        var j = 0;
        while ((long)(h >> j) * (w >> j) > MaxDecoderPixels && ((h >> j) & 1) == 0 && ((w >> j) & 1) == 0
               && (h >> (j + 1)) >= fh && (w >> (j + 1)) >= fw && (h >> (j + 1)) >= 8 && (w >> (j + 1)) >= 8)
            j++;
        return j;
    }

    /// <summary>Hidden channels of a transposed convolution producing an r×r map: <see cref="HiddenChannels"/> up to 32×32,
    /// half of it up to 64×64 (the last, full-resolution layers dominate the step's cost).</summary>
    internal static long ChannelsAt(long r) => r <= 32 ? HiddenChannels : HiddenChannels / 2;

    private static bool IsPowerOfTwo(long v) => v > 0 && (v & (v - 1)) == 0;
}
