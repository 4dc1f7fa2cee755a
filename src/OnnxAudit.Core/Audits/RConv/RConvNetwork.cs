using System.Globalization;
using OnnxAudit.Errors;
using OnnxAudit.Graph;
using OnnxAudit.Onnx;
using Onnx;

namespace OnnxAudit.Audits.RConv;

/// <summary>One operator on the path from the image to the first fully-connected layer.</summary>
internal abstract record RConvStage(string NodeName, string OpType, int[] OutputShape);

/// <summary>A convolution.</summary>
internal sealed record ConvStage(string NodeName, ConvGeometry Geometry, int[] OutputShape) : RConvStage(NodeName, "Conv", OutputShape);

/// <summary>An element-wise activation.</summary>
internal sealed record ActivationStage(string NodeName, RConvActivation Activation, int[] OutputShape) : RConvStage(NodeName, Activation.OpType, OutputShape);

/// <summary>Flatten / Reshape / Identity / Dropout: the data is unchanged in memory (CHW order).</summary>
internal sealed record PassThroughStage(string NodeName, string OpType, int[] OutputShape) : RConvStage(NodeName, OpType, OutputShape);

/// <summary>An operator the attack cannot invert or differentiate through without its input (e.g. MaxPool).</summary>
internal sealed record BlockingStage(string NodeName, string OpType, int[] OutputShape, string Reason) : RConvStage(NodeName, OpType, OutputShape);

/// <summary>The first fully-connected layer: Y = α·X·B(ᵀ) + β·C.</summary>
internal sealed record GemmStage(string NodeName, string WeightName, string? BiasName, bool TransB, double Alpha, double Beta,
    int InFeatures, int OutFeatures) : RConvStage(NodeName, "Gemm", [OutFeatures]);

/// <summary>
/// The linear chain of a CNN classifier from the image input to its first Gemm, with per-sample shapes.
/// why: the R-CONV attack (batch size 1) walks this chain from the FC layer down to the image; its order and the
/// operators in between decide whether the walk can continue, which the per-conv geometry alone does not say.
/// </summary>
internal sealed class RConvNetwork
{
    private RConvNetwork(OnnxModel model, string inputName, int[] inputShape, IReadOnlyList<RConvStage> stages, string? stopReason)
    {
        Model = model;
        InputName = inputName;
        InputShape = inputShape;
        Stages = stages;
        StopReason = stopReason;
    }

    public OnnxModel Model { get; }
    public string InputName { get; }

    /// <summary>Constant subtracted from the input by the normalisation prefix (1, C or C·H·W values), or null.</summary>
    public float[]? InputSub { get; init; }

    /// <summary>Constant the centred input is divided by in the normalisation prefix, or null.</summary>
    public float[]? InputDiv { get; init; }

    /// <summary>Maps a reconstruction of the normalised input back to the model's input (x = x̃·div + sub), in place.</summary>
    public void Denormalize(float[] x, int channels)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (InputSub is null && InputDiv is null) return;
        var plane = x.Length / Math.Max(channels, 1);
        static float Pick(float[]? v, int i, int c, float dflt) => v is null ? dflt : v.Length == 1 ? v[0] : v.Length == c ? v[Math.Min(i, c - 1)] : v[i];
        for (var i = 0; i < x.Length; i++)
        {
            var ch = i / plane;
            var key = InputSub?.Length == x.Length || InputDiv?.Length == x.Length ? i : ch;
            x[i] = x[i] * Pick(InputDiv, key, channels, 1f) + Pick(InputSub, key, channels, 0f);
        }
    }
    /// <summary>[C, H, W].</summary>
    public int[] InputShape { get; }
    /// <summary>From the input to (and including) the first Gemm, or up to where the walk stopped.</summary>
    public IReadOnlyList<RConvStage> Stages { get; }
    /// <summary>Why the walk stopped before a Gemm (null when it reached one).</summary>
    public string? StopReason { get; }

    /// <summary>The words of a <see cref="StopReason"/> that names an operator the walk does not support.</summary>
    internal const string UnsupportedMarker = "is not supported by the R-CONV walk";

    /// <summary>True when the walk stopped at an operator it does not support (the chain is then not assessed, not safe).</summary>
    public bool StoppedAtUnsupportedOperator => StopReason?.Contains(UnsupportedMarker, StringComparison.Ordinal) == true;

    public GemmStage? Head => Stages.Count > 0 ? Stages[^1] as GemmStage : null;

    public IEnumerable<ConvStage> Convs => Stages.OfType<ConvStage>();

    public float[] Initializer(string name) =>
        TensorData.ToFloats(Model.FindInitializer(name)
            ?? throw new ModelLoadException($"{Model.Origin}: initializer '{name}' not found; R-CONV needs layer parameters stored as initializers"));

    /// <summary>The condition table: one row per Conv on the chain.</summary>
    public IReadOnlyList<RConvLayerCondition> Conditions()
    {
        var rows = new List<RConvLayerCondition>();
        for (var i = 0; i < Stages.Count; i++)
        {
            if (Stages[i] is not ConvStage c) continue;
            var next = i + 1 < Stages.Count ? Stages[i + 1] : null;
            var act = next switch
            {
                ActivationStage a => a.Activation,
                ConvStage or GemmStage or PassThroughStage => RConvActivation.Identity,
                _ => null,
            };
            var op = next switch { null => "none", ActivationStage a => a.OpType, ConvStage or GemmStage or PassThroughStage => "none (linear)", _ => next.OpType };
            rows.Add(RConvConditions.Evaluate(c.Geometry, act, op));
        }
        return rows;
    }

    private static readonly string[] Supported = ["Conv", "Relu", "LeakyRelu", "Sigmoid", "Tanh", "Elu", "Flatten", "Reshape", "Identity", "Dropout", "MaxPool", "AveragePool", "Gemm"];

    /// <summary>Walks the model from its (single) image input along single consumers until the first Gemm.</summary>
    /// <param name="model">The model; its parameters must be initializers.</param>
    /// <param name="imageShape">[C, H, W] used when the input's spatial dims are symbolic (may be null).</param>
    public static RConvNetwork FromModel(OnnxModel model, int[]? imageShape = null)
    {
        var graph = model.Graph;
        var inits = new HashSet<string>(graph.Initializer.Select(t => t.Name));
        var input = graph.Input.FirstOrDefault(i => !inits.Contains(i.Name))
            ?? throw new ModelLoadException($"{model.Origin}: the graph has no non-initializer input; expected an image input [batch,C,H,W]");
        var dims = input.Type?.TensorType?.Shape?.Dim.Select(d => d.HasDimValue ? (int)d.DimValue : -1).ToArray() ?? [];
        int[] shape = dims.Length == 4 && dims.Skip(1).All(d => d > 0) ? dims[1..] : imageShape
            ?? throw new ModelLoadException($"{model.Origin}: input '{input.Name}' has shape [{string.Join(",", dims)}], expected [batch,C,H,W] with known C,H,W; pass the image shape");

        var consumers = new Dictionary<string, List<NodeProto>>();
        foreach (var n in graph.Node)
            foreach (var i in n.Input)
                if (!string.IsNullOrEmpty(i)) (consumers.TryGetValue(i, out var l) ? l : consumers[i] = []).Add(n);

        var stages = new List<RConvStage>();
        float[]? inputSub = null, inputDiv = null;
        var tensor = input.Name;
        var cur = shape;
        string? stop = null;
        while (true)
        {
            if (!consumers.TryGetValue(tensor, out var users) || users.Count == 0) { stop = $"tensor '{tensor}' reaches the graph output without a Gemm (fully-connected) layer"; break; }
            if (users.Count > 1) { stop = $"tensor '{tensor}' feeds {users.Count} nodes ({string.Join(", ", users.Select(u => u.OpType))}); R-CONV handles a linear chain only"; break; }
            var node = users[0];
            var name = string.IsNullOrEmpty(node.Name) ? node.Output[0] : node.Name;
            RConvStage st = null!;
            switch (node.OpType)
            {
                case "Conv":
                    var g = ConvFromNode(model, node, name, cur);
                    st = new ConvStage(name, g, [g.OutChannels, g.OutH, g.OutW]);
                    break;
                case "Relu": st = new ActivationStage(name, new RConvActivation(RConvActivationKind.Relu, 0, name), cur); break;
                case "LeakyRelu": st = new ActivationStage(name, new RConvActivation(RConvActivationKind.LeakyRelu, FloatAttr(node, "alpha", 0.01f), name), cur); break;
                case "Elu": st = new ActivationStage(name, new RConvActivation(RConvActivationKind.Elu, FloatAttr(node, "alpha", 1f), name), cur); break;
                case "Sigmoid": st = new ActivationStage(name, new RConvActivation(RConvActivationKind.Sigmoid, 0, name), cur); break;
                case "Tanh": st = new ActivationStage(name, new RConvActivation(RConvActivationKind.Tanh, 0, name), cur); break;
                case "Identity" or "Dropout": st = new PassThroughStage(name, node.OpType, cur); break;
                // why: issue 11 — the normalisation prefix folded in by the pipeline is an affine map of the input; the walk
                // reconstructs the normalised image and the auditor maps it back to [0,1] pixels (InputSub / InputDiv).
                case "Sub" or "Div" when name.StartsWith(ModelEditor.PreprocessPrefix, StringComparison.Ordinal)
                    && node.Input.Count == 2 && model.FindInitializer(node.Input[1]) is { } k:
                    var values = TensorData.ToFloats(k);
                    if (node.OpType == "Sub") inputSub = values; else inputDiv = values;
                    st = new PassThroughStage(name, node.OpType, cur);
                    break;
                case "Flatten" or "Reshape": st = new PassThroughStage(name, node.OpType, [cur.Aggregate(1, (p, v) => p * v)]); break;
                case "MaxPool" or "AveragePool":
                    st = new BlockingStage(name, node.OpType, PoolShape(node, cur),
                        node.OpType == "MaxPool"
                            ? "max pooling is not invertible: the discarded inputs and the argmax routing of its gradient are unknown to the attacker"
                            : "average pooling is not invertible: the activation derivative below it needs the un-pooled values");
                    break;
                case "Gemm":
                    var wName = node.Input[1];
                    var w = model.FindInitializer(wName) ?? throw new ModelLoadException($"{model.Origin}: Gemm '{name}' weight '{wName}' is not an initializer");
                    var transB = IntAttr(node, "transB", 0) != 0;
                    if (IntAttr(node, "transA", 0) != 0) { stop = $"Gemm '{name}' has transA=1; expected a [batch, features] input"; break; }
                    int inF = (int)(transB ? w.Dims[1] : w.Dims[0]), outF = (int)(transB ? w.Dims[0] : w.Dims[1]);
                    st = new GemmStage(name, wName, node.Input.Count > 2 && !string.IsNullOrEmpty(node.Input[2]) ? node.Input[2] : null,
                        transB, FloatAttr(node, "alpha", 1f), FloatAttr(node, "beta", 1f), inF, outF);
                    break;
                default:
                    stop = $"operator {node.OpType} (node '{name}') {UnsupportedMarker}; supported: [{string.Join(", ", Supported)}]";
                    st = null!;
                    break;
            }
            if (stop is not null) break;
            stages.Add(st);
            if (st is GemmStage) break;
            tensor = node.Output[0];
            cur = st.OutputShape;
        }
        return new RConvNetwork(model, input.Name, shape, stages, stop) { InputSub = inputSub, InputDiv = inputDiv };
    }

    private static ConvGeometry ConvFromNode(OnnxModel model, NodeProto node, string name, int[] cur)
    {
        var w = model.FindInitializer(node.Input[1]) ?? throw new ModelLoadException($"{model.Origin}: Conv '{name}' weight '{node.Input[1]}' is not an initializer; R-CONV needs constant weights");
        if (w.Dims.Count != 4 || cur.Length != 3)
            throw new UnsupportedOperatorException($"{model.Origin}: Conv '{name}' is not a 2-D convolution (weight rank {w.Dims.Count}, input rank {cur.Length + 1}); only 2-D Conv is supported");
        int f = (int)w.Dims[0], kh = (int)w.Dims[2], kw = (int)w.Dims[3];
        var groups = (int)IntAttr(node, "group", 1);
        var strides = IntsAttr(node, "strides") ?? [1, 1];
        var dil = IntsAttr(node, "dilations") ?? [1, 1];
        var autoPad = node.Attribute.FirstOrDefault(a => a.Name == "auto_pad")?.S.ToStringUtf8() ?? "NOTSET";
        var pads = Array.ConvertAll(Window.ResolvePads(autoPad, [cur[1], cur[2]], [kh, kw], [strides[0], strides[1]], [dil[0], dil[1]],
            IntsAttr(node, "pads")?.Select(v => (long)v).ToArray()), v => (int)v);
        var bias = node.Input.Count > 2 && !string.IsNullOrEmpty(node.Input[2]) ? node.Input[2] : null;
        if (cur[0] != w.Dims[1] * groups)
            throw new ModelLoadException(string.Create(CultureInfo.InvariantCulture, $"{model.Origin}: Conv '{name}' expects {w.Dims[1] * groups} input channels but receives {cur[0]}"));
        return ConvGeometry.Create(name, node.Input[1], bias, cur[0], f, kh, kw, strides[0], strides[1], pads[0], pads[1], pads[2], pads[3],
            dil[0], dil[1], groups, cur[1], cur[2]);
    }

    private static int[] PoolShape(NodeProto node, int[] cur)
    {
        long[] input = [cur[1], cur[2]];
        var k = NodeAttributes.Ints(node, "kernel_shape") ?? [1, 1];
        var s = NodeAttributes.Ints(node, "strides") ?? [1, 1];
        var d = NodeAttributes.Ints(node, "dilations") ?? [1, 1];
        var autoPad = NodeAttributes.Str(node, "auto_pad", "NOTSET");
        var p = Window.ResolvePads(autoPad, input, k, s, d, NodeAttributes.Ints(node, "pads"));
        var ceil = NodeAttributes.Int(node, "ceil_mode", 0) != 0 && autoPad != "VALID";
        int Out(int i) => (int)Window.PoolOutputSize(input[i], k[i], s[i], d[i], p[i], p[i + 2], ceil);
        return [cur[0], Out(0), Out(1)];
    }

    private static long IntAttr(NodeProto n, string name, long def) => n.Attribute.FirstOrDefault(a => a.Name == name) is { } a ? a.I : def;
    private static float FloatAttr(NodeProto n, string name, float def) => n.Attribute.FirstOrDefault(a => a.Name == name) is { } a ? a.F : def;
    private static int[]? IntsAttr(NodeProto n, string name) => n.Attribute.FirstOrDefault(a => a.Name == name) is { } a ? a.Ints.Select(v => (int)v).ToArray() : null;
}
