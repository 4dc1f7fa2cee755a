using OnnxAudit.Onnx;
using Onnx;

namespace OnnxAudit.Graph;

/// <summary>Groups nodes into layers and classifies them.</summary>
internal static class LayerBuilder
{
    private static readonly HashSet<string> Activations = ["Relu", "LeakyRelu", "PRelu", "Sigmoid", "Tanh", "Elu", "Selu", "Softplus", "Clip", "HardSigmoid", "HardSwish", "Softsign", "Celu", "ThresholdedRelu", "Gelu", "Mish"];
    private static readonly HashSet<string> Pools = ["MaxPool", "AveragePool", "LpPool", "GlobalAveragePool", "GlobalMaxPool", "GlobalLpPool"];
    private static readonly HashSet<string> Norms = ["BatchNormalization", "LayerNormalization", "InstanceNormalization", "GroupNormalization", "LRN", "LpNormalization", "MeanVarianceNormalization"];
    private static readonly HashSet<string> Reshapes = ["Reshape", "Flatten", "Squeeze", "Unsqueeze"];

    /// <summary>Builds the layers in execution order; <paramref name="nodeNames"/> are the (generated) names per node;
    /// <paramref name="layerOfTensor"/> receives, for every node output, the index of the layer that produces it.</summary>
    public static List<Layer> Build(GraphContext ctx, IReadOnlyList<string> nodeNames, out Dictionary<string, int> layerOfTensor)
    {
        layerOfTensor = [];
        var layers = new List<Layer>();
        var merged = new bool[ctx.Nodes.Length];
        var alias = new Dictionary<string, string>();
        string Resolve(string t)
        {
            while (alias.TryGetValue(t, out var a)) t = a;
            return t;
        }
        for (var n = 0; n < ctx.Nodes.Length; n++)
        {
            if (merged[n]) continue;
            var node = ctx.Nodes[n];
            // why: issue 17 — a layer computes on activations. Shape arithmetic (Shape → Gather → Concat → Reshape
            // shapes), Constant nodes and what is computed from constants alone are not layers; an Identity passes
            // its input on, so it is no layer either: its output is an alias of its input's producer.
            if (!node.Output.Any(ctx.Activations.Contains)) continue;
            if (IsDefaultDomain(node) && node.OpType == "Identity" && node.Input.Count == 1 && node.Output.Count == 1)
            {
                var source = Resolve(node.Input[0]);
                alias[node.Output[0]] = source;
                if (layerOfTensor.TryGetValue(source, out var sourceLayer)) layerOfTensor[node.Output[0]] = sourceLayer;
                continue;
            }
            var members = new List<int> { n };
            var op = IsDefaultDomain(node) ? node.OpType : "";
            LayerKind kind;
            LinearInfo? linear = null;
            ConvInfo? conv = null;
            PoolInfo? pool = null;
            ActivationInfo? act = null;
            if (op == "Gemm")
            {
                kind = LayerKind.Linear;
                linear = Gemm(ctx, node);
            }
            else if (op == "MatMul" && MatMul(ctx, n, out var addNode) is { } mm)
            {
                kind = LayerKind.Linear;
                linear = mm;
                if (addNode >= 0)
                {
                    merged[addNode] = true;
                    members.Add(addNode);
                }
            }
            else if (op == "Conv")
            {
                kind = LayerKind.Convolution;
                conv = Conv(ctx, node);
            }
            else if (Activations.Contains(op))
            {
                kind = LayerKind.Activation;
                act = Activation(ctx, node);
            }
            else if (Pools.Contains(op))
            {
                kind = LayerKind.Pooling;
                pool = Pool(ctx, node);
            }
            else if (Norms.Contains(op)) kind = LayerKind.Normalization;
            else if (Reshapes.Contains(op)) kind = LayerKind.Reshape;
            else if (op == "Dropout") kind = LayerKind.Dropout;
            else if (op is "Softmax" or "LogSoftmax") kind = LayerKind.Softmax;
            else if (op == "Identity") kind = LayerKind.Identity;
            else kind = LayerKind.Other;

            var inputs = members.SelectMany(m => ctx.Nodes[m].Input).Where(i => i.Length > 0).ToList();
            var dataInput = Resolve(ctx.Nodes[n].Input.FirstOrDefault(ctx.Activations.Contains) ?? ctx.Nodes[n].Input.FirstOrDefault(i => i.Length > 0) ?? "");
            var output = ctx.Nodes[members[^1]].Output.FirstOrDefault() ?? "";
            // why: parameters are the trainable (floating-point) initializers; integer initializers are shape
            // constants or indices and are not weights.
            var parameters = inputs.Where(i => ctx.Initializers.TryGetValue(i, out var t) && ElementTypes.IsFloating(t.DataType)).Distinct().ToList();
            var count = parameters.Sum(p => TensorData.ElementCount(ctx.Initializers[p]));
            var name = nodeNames[n];
            foreach (var o in members.SelectMany(m => ctx.Nodes[m].Output).Where(o => o.Length > 0)) layerOfTensor[o] = layers.Count;
            layers.Add(new Layer(layers.Count, name, Label(name, node.OpType), kind, node.OpType, members.Select(m => nodeNames[m]).ToList(),
                dataInput, output, ctx.ElementsPerSample(output), parameters, count, linear, conv, pool, act));
        }
        return layers;
    }

    private static bool IsDefaultDomain(NodeProto node) => node.Domain.Length == 0 || node.Domain == "ai.onnx";

    private static LinearInfo Gemm(GraphContext ctx, NodeProto node)
    {
        var transA = NodeAttributes.Int(node, "transA", 0) != 0;
        var transB = NodeAttributes.Int(node, "transB", 0) != 0;
        var b = node.Input.Count > 1 ? node.Input[1] : "";
        var bDims = ctx.Dims(b);
        long inF = 0, outF = 0;
        if (bDims is { Count: 2 })
        {
            inF = transB ? bDims[1] : bDims[0];
            outF = transB ? bDims[0] : bDims[1];
        }
        var bias = node.Input.Count > 2 && node.Input[2].Length > 0 ? node.Input[2] : null;
        return new LinearInfo(inF, outF, transA, transB, NodeAttributes.Float(node, "alpha", 1.0), NodeAttributes.Float(node, "beta", 1.0),
            ctx.Initializers.ContainsKey(b) ? b : "", bias, false);
    }

    // why: a MatMul is a linear layer only when its right operand is a constant 2-D weight (x·W); a MatMul of two
    // data tensors (attention) is not. The following Add joins the layer when it is the MatMul's only consumer and
    // adds a 1-D initializer of the output width — PyTorch's export of nn.Linear without Gemm.
    private static LinearInfo? MatMul(GraphContext ctx, int n, out int addNode)
    {
        addNode = -1;
        var node = ctx.Nodes[n];
        if (node.Input.Count < 2 || !ctx.Initializers.TryGetValue(node.Input[1], out var w) || w.Dims.Count != 2) return null;
        var outF = w.Dims[1];
        var y = node.Output[0];
        string? bias = null;
        if (!ctx.OutputNames.Contains(y) && ctx.Consumers.TryGetValue(y, out var cons) && cons.Count == 1)
        {
            var add = ctx.Nodes[cons[0]];
            if (add.OpType == "Add" && IsDefaultDomain(add) && add.Input.Count == 2)
            {
                var other = add.Input[0] == y ? add.Input[1] : add.Input[0];
                if (ctx.Initializers.TryGetValue(other, out var b) && b.Dims.Count == 1 && b.Dims[0] == outF)
                {
                    bias = other;
                    addNode = cons[0];
                }
            }
        }
        return new LinearInfo(w.Dims[0], outF, false, false, 1.0, 1.0, node.Input[1], bias, true);
    }

    private static ConvInfo Conv(GraphContext ctx, NodeProto node)
    {
        var x = node.Input[0];
        var w = node.Input.Count > 1 ? node.Input[1] : "";
        var wDims = ctx.Dims(w) ?? [];
        var xDims = ctx.Dims(x) ?? [];
        var kernel = NodeAttributes.Ints(node, "kernel_shape") ?? wDims.Skip(2).ToArray();
        var r = kernel.Length;
        var strides = NodeAttributes.Ints(node, "strides") ?? Ones(r);
        var dilations = NodeAttributes.Ints(node, "dilations") ?? Ones(r);
        var autoPad = NodeAttributes.Str(node, "auto_pad", "NOTSET");
        var inSpatial = xDims.Skip(2).ToArray();
        var pads = inSpatial.Length == r ? Window.ResolvePads(autoPad, inSpatial, kernel, strides, dilations, NodeAttributes.Ints(node, "pads")) : new long[2 * r];
        var outSpatial = inSpatial.Length == r
            ? Enumerable.Range(0, r).Select(i => Window.OutputSize(inSpatial[i], kernel[i], strides[i], dilations[i], pads[i], pads[i + r], false)).ToArray()
            : [];
        var groups = NodeAttributes.Int(node, "group", 1);
        var bias = node.Input.Count > 2 && node.Input[2].Length > 0 ? node.Input[2] : null;
        return new ConvInfo(kernel, strides, dilations, pads, autoPad, groups,
            wDims.Count > 1 ? wDims[1] * groups : 0, wDims.Count > 0 ? wDims[0] : 0, inSpatial, outSpatial,
            ctx.Initializers.ContainsKey(w) ? w : "", bias);
    }

    private static PoolInfo Pool(GraphContext ctx, NodeProto node)
    {
        var inSpatial = (ctx.Dims(node.Input[0]) ?? []).Skip(2).ToArray();
        var outSpatial = (ctx.Dims(node.Output[0]) ?? []).Skip(2).ToArray();
        var r = inSpatial.Length;
        if (node.OpType.StartsWith("Global", StringComparison.Ordinal))
        {
            return new PoolInfo(inSpatial, Ones(r), Ones(r), new long[2 * r], "NOTSET", false, true, inSpatial, outSpatial);
        }
        var kernel = NodeAttributes.Ints(node, "kernel_shape") ?? [];
        r = kernel.Length;
        var strides = NodeAttributes.Ints(node, "strides") ?? Ones(r);
        var dilations = NodeAttributes.Ints(node, "dilations") ?? Ones(r);
        var autoPad = NodeAttributes.Str(node, "auto_pad", "NOTSET");
        var pads = inSpatial.Length == r ? Window.ResolvePads(autoPad, inSpatial, kernel, strides, dilations, NodeAttributes.Ints(node, "pads")) : new long[2 * r];
        return new PoolInfo(kernel, strides, dilations, pads, autoPad, NodeAttributes.Int(node, "ceil_mode", 0) != 0, false, inSpatial, outSpatial);
    }

    private static ActivationInfo Activation(GraphContext ctx, NodeProto node) => node.OpType switch
    {
        "LeakyRelu" => new ActivationInfo(node.OpType, Alpha: NodeAttributes.Float(node, "alpha", 0.01)),
        "Elu" or "Celu" => new ActivationInfo(node.OpType, Alpha: NodeAttributes.Float(node, "alpha", 1.0)),
        "ThresholdedRelu" => new ActivationInfo(node.OpType, Alpha: NodeAttributes.Float(node, "alpha", 1.0)),
        "Selu" => new ActivationInfo(node.OpType, Alpha: NodeAttributes.Float(node, "alpha", 1.67326319217681884765625), Gamma: NodeAttributes.Float(node, "gamma", 1.05070102214813232421875)),
        "HardSigmoid" => new ActivationInfo(node.OpType, Alpha: NodeAttributes.Float(node, "alpha", 0.2), Beta: NodeAttributes.Float(node, "beta", 0.5)),
        "PRelu" => new ActivationInfo(node.OpType, SlopeName: node.Input.Count > 1 && ctx.Initializers.ContainsKey(node.Input[1]) ? node.Input[1] : null),
        // why: Clip takes min/max as attributes up to opset 6 and as optional constant inputs from opset 11.
        "Clip" => NodeAttributes.Find(node, "min") is not null || NodeAttributes.Find(node, "max") is not null
            ? new ActivationInfo(node.OpType, Min: NodeAttributes.FloatOrNull(node, "min"), Max: NodeAttributes.FloatOrNull(node, "max"))
            : new ActivationInfo(node.OpType, Min: node.Input.Count > 1 ? ctx.ConstScalar(node.Input[1]) : null, Max: node.Input.Count > 2 ? ctx.ConstScalar(node.Input[2]) : null),
        _ => new ActivationInfo(node.OpType),
    };

    private static long[] Ones(int r) => Enumerable.Repeat(1L, r).ToArray();

    /// <summary>Short display label: the module path of a PyTorch export ("/features/features.0/Conv" → "features.0",
    /// "/conv1/Conv" → "conv1", "/Flatten" → "Flatten"), otherwise the name itself.</summary>
    internal static string Label(string name, string opType)
    {
        if (!name.StartsWith('/')) return name;
        var parts = name.Split('/', StringSplitOptions.RemoveEmptyEntries).ToList();
        if (parts.Count == 0) return name;
        if (parts.Count >= 2 && parts[^1].StartsWith(opType, StringComparison.Ordinal)) parts.RemoveAt(parts.Count - 1);
        // why: PyTorch repeats the parent path in nested scopes ("features/features.0"): keep the most specific part.
        var kept = parts.Where((p, i) => i == parts.Count - 1 || !parts[i + 1].StartsWith(p + ".", StringComparison.Ordinal)).ToList();
        return string.Join(".", kept);
    }
}
