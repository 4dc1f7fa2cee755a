using System.Globalization;
using OnnxAudit.Errors;
using OnnxAudit.Graph;
using OnnxAudit.Onnx;
using Onnx;

namespace OnnxAudit.Audits.RConv;

/// <summary>One operator on the paths from the image to the first fully-connected layer.</summary>
internal abstract record RConvStage(string NodeName, string OpType, int[] OutputShape)
{
    /// <summary>The data (non-constant) input tensors, in the node's input order.</summary>
    public string[] Inputs { get; init; } = [];

    /// <summary>The output tensor.</summary>
    public string Output { get; init; } = "";
}

/// <summary>A convolution.</summary>
internal sealed record ConvStage(string NodeName, ConvGeometry Geometry, int[] OutputShape) : RConvStage(NodeName, "Conv", OutputShape);

/// <summary>An element-wise activation.</summary>
internal sealed record ActivationStage(string NodeName, RConvActivation Activation, int[] OutputShape) : RConvStage(NodeName, Activation.OpType, OutputShape);

/// <summary>Flatten / Reshape / Identity / Dropout: the data is unchanged in memory (CHW order).</summary>
internal sealed record PassThroughStage(string NodeName, string OpType, int[] OutputShape) : RConvStage(NodeName, OpType, OutputShape);

/// <summary>
/// y = Scale ⊙ x + Shift element-wise with constant Scale and Shift (expanded to the tensor's size): BatchNormalization
/// in inference mode, Mul / Add / Sub / Div by a constant.
/// </summary>
internal sealed record AffineStage(string NodeName, string OpType, double[] Scale, double[] Shift, int[] OutputShape) : RConvStage(NodeName, OpType, OutputShape)
{
    /// <summary>True when no scale is zero, so x = (y − Shift) / Scale recovers the input from the output.</summary>
    public bool Invertible => Scale.All(v => v != 0 && double.IsFinite(v));
}

/// <summary>y = a + b of two data tensors of the same shape (a residual connection).</summary>
internal sealed record AddStage(string NodeName, int[] OutputShape) : RConvStage(NodeName, "Add", OutputShape);

/// <summary>Concatenation along the channel axis (axis 1): each input is one contiguous block of the CHW output.</summary>
internal sealed record ConcatStage(string NodeName, int[] Sizes, int[] OutputShape) : RConvStage(NodeName, "Concat", OutputShape);

/// <summary>An operator the attack cannot invert or differentiate through without its input (e.g. MaxPool).</summary>
internal sealed record BlockingStage(string NodeName, string OpType, int[] OutputShape, string Reason) : RConvStage(NodeName, OpType, OutputShape)
{
    /// <summary>True when the walk stops here because it does not support the operator (a gap), not because the attack cannot pass.</summary>
    public bool Unsupported { get; init; }
}

/// <summary>The first fully-connected layer: Y = α·X·B(ᵀ) + β·C.</summary>
internal sealed record GemmStage(string NodeName, string WeightName, string? BiasName, bool TransB, double Alpha, double Beta,
    int InFeatures, int OutFeatures) : RConvStage(NodeName, "Gemm", [OutFeatures]);

/// <summary>
/// The nodes of a CNN classifier on the paths from the image input to its first Gemm, in topological order, with
/// per-sample shapes.
/// why: the R-CONV attack (batch size 1) walks them from the FC layer down to the image; their order and the
/// operators in between decide whether the walk can continue, which the per-conv geometry alone does not say.
/// The rule (issue 17 item 4), in reverse topological order: a tensor's gradient is the sum of its readers' shares and
/// is known when every reader passed its share on (a conv always does, by convᵀ; an activation only when its output
/// value is known; an affine map, pass-through, residual Add or channel Concat always); a tensor's value is known when
/// one reader recovers its input (a conv solve on its gradient — and forward — constraints, an invertible activation
/// or affine map, a pass-through, a Concat slice; a residual Add gives no value to its inputs). The reconstruction
/// reaches the image when the input's value is known; pooling and unsupported element-wise operators stop it.
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

    /// <summary>The stages that read tensor <paramref name="tensor"/> (a stage reading it twice is listed twice).</summary>
    public IReadOnlyList<RConvStage> ConsumersOf(string tensor) => _consumers.TryGetValue(tensor, out var l) ? l : [];

    private Dictionary<string, List<RConvStage>> _consumers = [];

    /// <summary>The condition table: one row per Conv on the paths to the first Gemm.</summary>
    public IReadOnlyList<RConvLayerCondition> Conditions()
    {
        var rows = new List<RConvLayerCondition>();
        foreach (var c in Convs)
        {
            var (act, op) = FollowingActivation(c.Output);
            rows.Add(RConvConditions.Evaluate(c.Geometry, act, op));
        }
        return rows;
    }

    /// <summary>
    /// The activation whose output determines the conv output O (for the forward constraints), looking through the
    /// stages that keep O recoverable (invertible affine maps, pass-throughs, channel concatenation); null when O is
    /// mixed with other tensors (a residual Add) or read by several branches.
    /// </summary>
    private (RConvActivation? Activation, string OpType) FollowingActivation(string tensor)
    {
        for (var hop = 0; hop < 16; hop++)
        {
            var next = ConsumersOf(tensor);
            if (next.Count == 0) return (RConvActivation.Identity, "none");
            if (next.Count > 1) return (null, string.Join("+", next.Select(n => n.OpType).Distinct()));
            switch (next[0])
            {
                case ActivationStage a: return (a.Activation, a.OpType);
                case ConvStage or GemmStage: return (RConvActivation.Identity, "none (linear)");
                case PassThroughStage p when p.OpType is "Flatten" or "Reshape": return (RConvActivation.Identity, "none (linear)");
                case PassThroughStage or ConcatStage: tensor = next[0].Output; continue;
                case AffineStage f when f.Invertible: tensor = f.Output; continue;
                default: return (null, next[0].OpType);
            }
        }
        return (null, "too deep");
    }

    /// <summary>Element-wise operators whose output has the shape of their data inputs (scalar constants allowed).</summary>
    private static readonly HashSet<string> ElementWise = ["Clip", "HardSwish", "HardSigmoid", "Gelu", "Erf", "Mul", "Add", "Sub", "Div", "Sum",
        "Max", "Min", "Softplus", "Selu", "Celu", "Mish", "PRelu", "ThresholdedRelu", "Softsign", "Abs", "Neg", "Exp", "Log", "Sqrt", "Pow"];

    private static readonly string[] Supported = ["Conv", "Relu", "LeakyRelu", "Sigmoid", "Tanh", "Elu", "BatchNormalization (inference)",
        "Mul/Add/Sub/Div by a constant", "Add (residual)", "Concat (channels)", "Flatten", "Reshape", "Identity", "Dropout",
        "MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool", "Gemm"];

    /// <summary>
    /// The nodes on the paths from the model's (single) image input to its first Gemm, in topological order, with
    /// per-sample shapes. A linear chain, residual Adds and channel Concats are all walked; a node on those paths that
    /// the walk does not support, or a tensor on them that also feeds a node not leading to the Gemm, stops it.
    /// </summary>
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

        // constants: initializers and Constant nodes (their values are read where a stage needs them)
        var constNodes = new Dictionary<string, TensorProto>(StringComparer.Ordinal);
        foreach (var n in graph.Node)
            if (n.OpType == "Constant" && n.Output.Count == 1 && n.Attribute.FirstOrDefault(a => a.Name == "value") is { T: { } t }) constNodes[n.Output[0]] = t;
        TensorProto? Const(string name) => model.FindInitializer(name) ?? (constNodes.TryGetValue(name, out var t) ? t : null);

        // data tensors (computed from the image) in node order, up to the first Gemm that reads one as its input
        var data = new HashSet<string>(StringComparer.Ordinal) { input.Name };
        var dataNodes = new List<NodeProto>();
        NodeProto? head = null;
        foreach (var n in graph.Node)
        {
            // why: Shape / Size read a data tensor's shape, not its values: their outputs are shape arithmetic (a
            // Reshape target), constant per model, and carry no gradient.
            if (!n.Input.Any(data.Contains) || n.OpType is "Shape" or "Size") continue;
            dataNodes.Add(n);
            if (n.OpType == "Gemm" && data.Contains(n.Input[0])) { head = n; break; }
            foreach (var o in n.Output) if (!string.IsNullOrEmpty(o)) data.Add(o);
        }
        if (head is null)
            return new RConvNetwork(model, input.Name, shape, [], $"tensor '{input.Name}' reaches the graph output without a Gemm (fully-connected) layer");

        // the nodes that lead to the Gemm's input
        var need = new HashSet<string>(StringComparer.Ordinal) { head.Input[0] };
        var onPath = new HashSet<NodeProto>(ReferenceEqualityComparer.Instance) { head };
        for (var i = dataNodes.Count - 2; i >= 0; i--)
        {
            var n = dataNodes[i];
            if (!n.Output.Any(need.Contains)) continue;
            onPath.Add(n);
            foreach (var x in n.Input) if (data.Contains(x)) need.Add(x);
        }
        var consumers = new Dictionary<string, List<NodeProto>>(StringComparer.Ordinal);
        foreach (var n in graph.Node)
            foreach (var i in n.Input)
                if (!string.IsNullOrEmpty(i)) (consumers.TryGetValue(i, out var l) ? l : consumers[i] = []).Add(n);
        string NameOf(NodeProto n) => string.IsNullOrEmpty(n.Name) ? n.Output[0] : n.Name;

        var stages = new List<RConvStage>();
        float[]? inputSub = null, inputDiv = null;
        var shapes = new Dictionary<string, int[]>(StringComparer.Ordinal) { [input.Name] = shape };
        string? stop = null;
        foreach (var node in dataNodes.Where(onPath.Contains))
        {
            var name = NameOf(node);
            // why: the gradient of a tensor is the sum over all its readers; a reader that does not lead to the Gemm
            // (a second output, an auxiliary head) adds a term the walk cannot compute, so the walk stops there.
            foreach (var x in node.Input.Where(data.Contains).Distinct())
                if (consumers[x].FirstOrDefault(c => !onPath.Contains(c) && c.OpType is not ("Shape" or "Size")) is { } side)
                {
                    stop = $"tensor '{x}' also feeds {side.OpType} '{NameOf(side)}', which does not lead to the fully-connected layer '{NameOf(head)}'; its share of the gradient is outside the walk: a side branch {UnsupportedMarker}";
                    break;
                }
            if (stop is not null) break;
            var ins = node.Input.Where(data.Contains).ToArray();
            if (ins.Any(x => !shapes.ContainsKey(x))) { stop = $"{node.OpType} '{name}' reads a tensor whose shape the walk did not derive"; break; }
            var cur = shapes[ins[0]];
            RConvStage? st = null;
            switch (node.OpType)
            {
                case "Conv" when node.Input[0] == ins[0] && ins.Length == 1:
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
                case "BatchNormalization":
                    st = BatchNormStage(model, node, name, cur, Const, out stop);
                    break;
                case "Add" when ins.Length == 2:
                    if (!shapes[ins[1]].SequenceEqual(cur)) { stop = $"Add '{name}' adds tensors of shapes [{string.Join(",", cur)}] and [{string.Join(",", shapes[ins[1]])}]; the walk needs equal shapes"; break; }
                    st = new AddStage(name, cur);
                    break;
                case "Mul" or "Add" or "Sub" or "Div" when ins.Length == 1 && node.Input.Count == 2:
                    st = ConstantAffineStage(node, name, cur, ins[0], Const, out stop);
                    break;
                case "Concat":
                    var axis = IntAttr(node, "axis", 1);
                    if (axis < 0) axis += cur.Length + 1;
                    if (axis != 1 || ins.Length != node.Input.Count || ins.Any(x => shapes[x].Length != 3 || shapes[x][1] != cur[1] || shapes[x][2] != cur[2]))
                    { stop = $"Concat '{name}' (axis {axis}) {UnsupportedMarker} except along the channels of [C,H,W] data tensors"; break; }
                    var sizes = ins.Select(x => shapes[x].Aggregate(1, (p, v) => p * v)).ToArray();
                    st = new ConcatStage(name, sizes, [ins.Sum(x => shapes[x][0]), cur[1], cur[2]]);
                    break;
                case "Flatten" or "Reshape" when node.Input[0] == ins[0] && ins.Length == 1: st = new PassThroughStage(name, node.OpType, [cur.Aggregate(1, (p, v) => p * v)]); break;
                case "MaxPool" or "AveragePool":
                    st = new BlockingStage(name, node.OpType, PoolShape(node, cur),
                        node.OpType == "MaxPool"
                            ? "max pooling is not invertible: the discarded inputs and the argmax routing of its gradient are unknown to the attacker"
                            : "average pooling is not invertible: the activation derivative below it needs the un-pooled values");
                    break;
                case "GlobalAveragePool" or "GlobalMaxPool":
                    st = new BlockingStage(name, node.OpType, cur.Length == 3 ? [cur[0], 1, 1] : cur,
                        $"global pooling is not invertible: it keeps one value per channel of the {(cur.Length == 3 ? $"{cur[1]}×{cur[2]}" : "?")} map below it");
                    break;
                case "Gemm" when ReferenceEquals(node, head):
                    var wName = node.Input[1];
                    var w = model.FindInitializer(wName) ?? throw new ModelLoadException($"{model.Origin}: Gemm '{name}' weight '{wName}' is not an initializer; re-export the model with constant weights (e.g. torch.onnx.export with do_constant_folding=True).");
                    var transB = IntAttr(node, "transB", 0) != 0;
                    if (IntAttr(node, "transA", 0) != 0) { stop = $"Gemm '{name}' has transA=1; expected a [batch, features] input"; break; }
                    int inF = (int)(transB ? w.Dims[1] : w.Dims[0]), outF = (int)(transB ? w.Dims[0] : w.Dims[1]);
                    st = new GemmStage(name, wName, node.Input.Count > 2 && !string.IsNullOrEmpty(node.Input[2]) ? node.Input[2] : null,
                        transB, FloatAttr(node, "alpha", 1f), FloatAttr(node, "beta", 1f), inF, outF);
                    break;
                // why: issue 17 item 4 — an element-wise operator the walk does not support (ReLU6 as Clip, HardSwish,
                // SiLU as x·Sigmoid(x), GELU, …) keeps the shape: it becomes a stop for the reconstruction only, so the
                // network, its conditions and the rank checks below it are still built; the stop is reported as a gap.
                case var op when ElementWise.Contains(op) && BroadcastShape(ins.Select(x => shapes[x]).ToList()) is { } outShape
                    && node.Input.Where(x => !string.IsNullOrEmpty(x) && !data.Contains(x)).All(x => Const(x) is { } c && c.Dims.Aggregate(1L, (a, d) => a * d) == 1):
                    st = new BlockingStage(name, node.OpType, outShape, $"operator {node.OpType} (node '{name}') {UnsupportedMarker} (reconstruction); supported: [{string.Join(", ", Supported)}]") { Unsupported = true };
                    break;
                default:
                    stop = $"operator {node.OpType} (node '{name}') {UnsupportedMarker}; supported: [{string.Join(", ", Supported)}]";
                    break;
            }
            if (stop is not null || st is null) { stop ??= $"{node.OpType} '{name}' {UnsupportedMarker}"; break; }
            st = st with { Inputs = ins, Output = node.Output[0] };
            stages.Add(st);
            shapes[st.Output] = st.OutputShape;
        }
        var net = new RConvNetwork(model, input.Name, shape, stages, stop) { InputSub = inputSub, InputDiv = inputDiv };
        foreach (var st in stages)
            foreach (var x in st.Inputs) (net._consumers.TryGetValue(x, out var l) ? l : net._consumers[x] = []).Add(st);
        return net;
    }

    /// <summary>The common shape of data tensors of equal rank under broadcasting (each dim equal or 1), or null.</summary>
    private static int[]? BroadcastShape(IReadOnlyList<int[]> shapes)
    {
        var rank = shapes[0].Length;
        if (shapes.Any(x => x.Length != rank)) return null;
        var outShape = new int[rank];
        for (var i = 0; i < rank; i++)
        {
            outShape[i] = shapes.Max(x => x[i]);
            if (shapes.Any(x => x[i] != 1 && x[i] != outShape[i])) return null;
        }
        return outShape;
    }

    /// <summary>BatchNormalization in inference mode: y = γ·(x − μ)/√(σ² + ε) + β = s·x + t per channel.</summary>
    private static RConvStage? BatchNormStage(OnnxModel model, NodeProto node, string name, int[] cur, Func<string, TensorProto?> constant, out string? stop)
    {
        stop = null;
        if (IntAttr(node, "training_mode", 0) != 0 || node.Output.Skip(1).Any(o => !string.IsNullOrEmpty(o)))
        {
            stop = $"BatchNormalization '{name}' runs in training mode (batch statistics) and {UnsupportedMarker}; export the model in eval mode";
            return null;
        }
        var p = node.Input.Skip(1).Take(4).Select(constant).ToArray();
        if (p.Length != 4 || p.Any(t => t is null))
        {
            stop = $"BatchNormalization '{name}' has parameters that are not constants and {UnsupportedMarker}";
            return null;
        }
        var (gamma, beta, mean, variance) = (TensorData.ToFloats(p[0]!), TensorData.ToFloats(p[1]!), TensorData.ToFloats(p[2]!), TensorData.ToFloats(p[3]!));
        var eps = FloatAttr(node, "epsilon", 1e-5f);
        var channels = cur[0];
        var plane = cur.Skip(1).Aggregate(1, (a, v) => a * v);
        if (gamma.Length != channels || beta.Length != channels || mean.Length != channels || variance.Length != channels)
        {
            stop = string.Create(CultureInfo.InvariantCulture, $"BatchNormalization '{name}' has {gamma.Length} scales for {channels} channels");
            return null;
        }
        var scale = new double[channels * plane];
        var shift = new double[channels * plane];
        for (var c = 0; c < channels; c++)
        {
            var s = gamma[c] / Math.Sqrt(variance[c] + (double)eps);
            var t = beta[c] - (mean[c] * s);
            scale.AsSpan(c * plane, plane).Fill(s);
            shift.AsSpan(c * plane, plane).Fill(t);
        }
        _ = model;
        return new AffineStage(name, "BatchNormalization", scale, shift, cur);
    }

    /// <summary>Mul / Add / Sub / Div of a data tensor by a constant that broadcasts to it: y = s·x + t element-wise.</summary>
    private static RConvStage? ConstantAffineStage(NodeProto node, string name, int[] cur, string dataInput, Func<string, TensorProto?> constant, out string? stop)
    {
        stop = null;
        var dataFirst = node.Input[0] == dataInput;
        var other = dataFirst ? node.Input[1] : node.Input[0];
        if (constant(other) is not { } k)
        {
            stop = $"{node.OpType} '{name}' combines the data with '{other}', which is neither an initializer nor a Constant, and {UnsupportedMarker}";
            return null;
        }
        var c = Broadcast(TensorData.ToFloats(k), k.Dims.Select(d => (int)d).ToArray(), cur);
        if (c is null)
        {
            stop = $"{node.OpType} '{name}': constant '{other}' of shape [{string.Join(",", k.Dims)}] does not broadcast to the per-sample shape [{string.Join(",", cur)}]; {UnsupportedMarker}";
            return null;
        }
        var n = c.Length;
        var scale = new double[n];
        var shift = new double[n];
        for (var i = 0; i < n; i++)
        {
            (scale[i], shift[i]) = (node.OpType, dataFirst) switch
            {
                ("Mul", _) => (c[i], 0),
                ("Add", _) => (1, c[i]),
                ("Sub", true) => (1, -c[i]),
                ("Sub", false) => (-1, c[i]),
                ("Div", true) => (1 / c[i], 0),
                _ => (double.NaN, double.NaN),
            };
        }
        if (double.IsNaN(scale[0]))
        {
            stop = $"Div '{name}' divides a constant by the data (not affine) and {UnsupportedMarker}";
            return null;
        }
        return new AffineStage(name, node.OpType, scale, shift, cur);
    }

    /// <summary>A constant of shape <paramref name="dims"/> broadcast (numpy rules, batch axis 1) to the per-sample shape, flattened; null when it does not broadcast.</summary>
    internal static double[]? Broadcast(float[] values, int[] dims, int[] perSample)
    {
        int[] target = [1, .. perSample];
        if (dims.Length > target.Length) return null;
        var full = Enumerable.Repeat(1, target.Length - dims.Length).Concat(dims).ToArray();
        for (var i = 0; i < target.Length; i++) if (full[i] != 1 && full[i] != target[i]) return null;
        var n = perSample.Aggregate(1, (a, v) => a * v);
        var outv = new double[n];
        var strides = new int[target.Length];
        for (int i = target.Length - 1, s = 1; i >= 0; i--) { strides[i] = full[i] == 1 ? 0 : s; s *= full[i]; }
        var idx = new int[target.Length];
        for (var e = 0; e < n; e++)
        {
            var rem = e;
            var src = 0;
            for (var i = target.Length - 1; i >= 0; i--) { idx[i] = rem % target[i]; rem /= target[i]; src += idx[i] * strides[i]; }
            outv[e] = values[src];
        }
        return outv;
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
