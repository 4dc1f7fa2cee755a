using OnnxAudit.Errors;
using OnnxAudit.Onnx;
using Onnx;
using static OnnxAudit.Onnx.NodeAttributes;
using DataType = global::Onnx.TensorProto.Types.DataType;

namespace OnnxAudit.Autodiff;

/// <summary>
/// Builds a gradient model: the forward graph (pruned to what the loss and the extra outputs need) followed by a
/// reverse-mode backward graph in standard ONNX operators valid for the model's own default-domain opset (11–23).
/// Outputs: <see cref="GradientNames.Loss"/> (float scalar), <c>grad:&lt;name&gt;</c> for every name in
/// <see cref="GradientRequest.WithRespectTo"/> (shape of that tensor), then the extra outputs. New inputs: the labels
/// (int64 [N]) or the squared-error target, and the parameters when <see cref="GradientRequest.ParametersAsInputs"/>.
/// The batch dimension is symbolic ("N"); one gradient model serves every batch size.
/// </summary>
public static class GradientGraphBuilder
{
    /// <summary>Lowest default-domain opset supported.</summary>
    public const long MinOpset = 11;

    /// <summary>Highest default-domain opset supported.</summary>
    public const long MaxOpset = 23;

    private static readonly HashSet<string> NonDifferentiable = new(StringComparer.Ordinal)
    {
        "Shape", "Size", "Constant", "ConstantOfShape", "Equal", "Greater", "Less", "GreaterOrEqual", "LessOrEqual", "Not", "And", "Or",
        "ArgMax", "ArgMin", "Range", "NonZero",
    };

    /// <summary>The operator types that have a backward rule, sorted.</summary>
    public static IReadOnlyList<string> SupportedOperators => GradientRules.Supported;

    /// <summary>Builds the gradient model. The input model is not modified.</summary>
    /// <exception cref="UnsupportedOperatorException">A node between a requested tensor and the loss has no backward rule.</exception>
    /// <exception cref="GradientBuildException">Bad request (unknown tensor names, wrong logits rank), unsupported attribute
    /// values or an opset outside 11–23.</exception>
    public static OnnxModel Build(OnnxModel model, GradientRequest request)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(request);
        var opset = model.DefaultOpset;
        if (opset is < MinOpset or > MaxOpset)
            throw new GradientBuildException($"{model.Origin}: default-domain opset {opset} is outside the supported range {MinOpset}–{MaxOpset}; re-export the model with opset 17 (torch.onnx.export(..., opset_version=17)).");
        Runtime.RuntimeCounters.GradientGraphBuilt();
        var clone = model.Clone(model.Origin + " (gradient)");
        var g = clone.Graph;
        SortTopologically(g, model.Origin);
        var initializers = g.Initializer.ToDictionary(t => t.Name, StringComparer.Ordinal);
        var dataInputs = g.Input.Where(v => !initializers.ContainsKey(v.Name)).Select(v => v.Name).ToList();
        var consts = new ConstantTable(g);
        var shapes = ShapeInference.Infer(g, opset, consts);
        var produced = new HashSet<string>(g.Node.SelectMany(n => n.Output), StringComparer.Ordinal);
        bool Exists(string t) => produced.Contains(t) || initializers.ContainsKey(t) || dataInputs.Contains(t);

        // ---- validate request
        var root = request.Loss switch
        {
            SoftmaxCrossEntropyLoss s => s.Logits ?? g.Output.FirstOrDefault()?.Name ?? throw new GradientBuildException($"{model.Origin}: the model has no outputs to use as logits; re-export the model with its logits as a graph output."),
            SquaredErrorLoss s => s.Tensor,
            ScalarLoss s => s.Tensor,
            _ => throw new GradientBuildException($"unknown loss type {request.Loss.GetType().Name}; this is a bug in onnx-audit — please report it"),
        };
        if (!Exists(root))
            throw new GradientBuildException($"{model.Origin}: loss tensor '{root}' does not exist in the model; available outputs are [{string.Join(", ", g.Output.Select(o => o.Name))}]; re-export the model with a fixed class count (logits [batch, K]).");
        var wrt = request.WithRespectTo.Distinct(StringComparer.Ordinal).ToList();
        foreach (var name in wrt)
        {
            var ok = dataInputs.Contains(name) || (initializers.TryGetValue(name, out var t) && (DataType)t.DataType == DataType.Float);
            if (!ok)
                throw new GradientBuildException($"{model.Origin}: cannot differentiate with respect to '{name}': it is neither a graph input nor a float initializer; inputs are [{string.Join(", ", dataInputs)}], float initializers are [{string.Join(", ", initializers.Values.Where(v => (DataType)v.DataType == DataType.Float).Select(v => v.Name).Take(20))}{(initializers.Count > 20 ? ", ..." : "")}].");
        }
        var extras = (request.ExtraOutputs ?? []).Distinct(StringComparer.Ordinal).ToList();
        foreach (var x in extras)
            if (!Exists(x)) throw new GradientBuildException($"{model.Origin}: extra output '{x}' does not exist in the model; use a node output name.");

        // ---- prune the forward graph to what the loss and extra outputs need
        var needed = Ancestors(g, [root, .. extras]);
        var keep = g.Node.Where(n => n.Output.Any(needed.Contains)).ToList();
        g.Node.Clear();
        g.Node.AddRange(keep);
        var forward = keep.ToList();

        // ---- which tensors depend on a requested one
        var requiresGrad = new HashSet<string>(wrt, StringComparer.Ordinal);
        foreach (var n in forward)
        {
            if (NonDifferentiable.Contains(n.OpType)) continue;
            if (n.Input.Any(requiresGrad.Contains))
                foreach (var o in n.Output) if (o.Length > 0) requiresGrad.Add(o);
        }
        var rootAncestors = Ancestors(g, [root]);
        // Fail early, before shapes are needed, on the first node of the gradient path without a rule.
        foreach (var n in forward)
        {
            if (n.Output.Any(rootAncestors.Contains) && n.Input.Any(requiresGrad.Contains) && !NonDifferentiable.Contains(n.OpType)
                && GradientRules.Find(n.Domain ?? "", n.OpType) is null)
                throw new UnsupportedOperatorException(n.OpType, n.Name, opset, GradientRules.Supported, model.Origin);
        }

        var e = new GraphEmitter(g, opset);
        var inputName = dataInputs.FirstOrDefault();
        var batchName = BatchName(g, inputName);
        var newInputs = new List<ValueInfoProto>();
        var outputs = new List<ValueInfoProto>();
        foreach (var reserved in new[] { GradientNames.Loss }.Concat(wrt.Select(GradientNames.Gradient)))
        {
            if (Exists(reserved)) throw new GradientBuildException($"{model.Origin}: the model already has a tensor named '{reserved}', which the gradient model needs as an output name; rename it.");
            e.Reserve(reserved);
        }

        var grads = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        void Accumulate(string tensor, string grad)
        {
            if (!grads.TryGetValue(tensor, out var list)) grads[tensor] = list = [];
            list.Add(grad);
        }
        string? Collect(string tensor)
        {
            if (!grads.TryGetValue(tensor, out var list) || list.Count == 0) return null;
            if (list.Count == 1) return list[0];
            var s = e.Op("Sum", [.. list]);
            list.Clear();
            list.Add(s);
            return s;
        }

        // ---- loss
        string loss;
        switch (request.Loss)
        {
            case SoftmaxCrossEntropyLoss sce:
                {
                    var ls = shapes.GetValueOrDefault(root);
                    if (ls is null || ls.Length != 2 || ls[1] <= 0)
                        throw new GradientBuildException($"{model.Origin}: logits '{root}' must have a static shape [N, K], got [{(ls is null ? "unknown" : string.Join(", ", ls))}]; re-export the model with a fixed class count (logits [batch, K]).");
                    if (Exists(sce.LabelsInput)) throw new GradientBuildException($"{model.Origin}: labels input name '{sce.LabelsInput}' is already used in the model; choose another name.");
                    e.Reserve(sce.LabelsInput);
                    newInputs.Add(ValueInfo(sce.LabelsInput, DataType.Int64, [ShapeInference.Batch], batchName));
                    var k = ls[1];
                    var logp = e.Op("LogSoftmax", [root], MakeInt("axis", 1));
                    var labels2 = e.Unsqueeze(sce.LabelsInput, [1]);
                    var onehot = e.Cast(e.Op("Equal", [labels2, e.ConstI64(Enumerable.Range(0, (int)k).Select(v => (long)v).ToArray())]), DataType.Float);
                    var nf = e.Cast(e.Op("Gather", [e.ShapeOf(root), e.ScalarI64(0)], MakeInt("axis", 0)), DataType.Float);
                    // why: PyTorch CrossEntropyLoss (reduction='mean', no weights) = −(1/N)·Σ_n log softmax(z_n)[y_n].
                    loss = e.Div(e.Neg(e.ReduceSum(e.Mul(onehot, logp), [0, 1], keepDims: false)), nf);
                    if (rootAncestors.Count > 0 && requiresGrad.Contains(root))
                        Accumulate(root, e.Div(e.Sub(e.Op("Softmax", [root], MakeInt("axis", 1)), onehot), nf));
                    break;
                }
            case SquaredErrorLoss se:
                {
                    var ts = shapes.GetValueOrDefault(root) ?? throw new GradientBuildException($"{model.Origin}: the shape of '{root}' could not be derived statically; it is needed for the squared-error target input.");
                    if (Exists(se.TargetInput)) throw new GradientBuildException($"{model.Origin}: target input name '{se.TargetInput}' is already used in the model; choose another name.");
                    e.Reserve(se.TargetInput);
                    newInputs.Add(ValueInfo(se.TargetInput, DataType.Float, ts, batchName));
                    var diff = e.Sub(root, se.TargetInput);
                    var numel = e.Cast(e.Op("Size", [root]), DataType.Float);
                    var all = Enumerable.Range(0, ts.Length).Select(v => (long)v).ToArray();
                    loss = e.Div(e.ReduceSum(e.Mul(diff, diff), all, keepDims: false), numel);
                    if (requiresGrad.Contains(root)) Accumulate(root, e.Div(e.Mul(diff, e.ScalarF(2)), numel));
                    break;
                }
            case ScalarLoss:
                {
                    // why: second-order graphs (gradient matching) feed a scalar built on top of a gradient graph.
                    loss = root;
                    if (requiresGrad.Contains(root)) Accumulate(root, e.Op("ConstantOfShape", [e.ShapeOf(root)], MakeTensor("value", TensorData.FromFloats("", [1], [1f]))));
                    break;
                }
            default:
                throw new GradientBuildException("unknown loss type; this is a bug in onnx-audit — please report it");
        }

        // ---- regularisers on the graph input
        if (request.TotalVariationWeight != 0 || request.TotalVariationAsInput || request.L2Weight != 0)
        {
            if (inputName is null || shapes.GetValueOrDefault(inputName) is not { } xs)
                throw new GradientBuildException($"{model.Origin}: regularisers need a graph input with a known shape; re-export the model with a declared input shape.");
            var needX = requiresGrad.Contains(inputName) && wrt.Contains(inputName);
            if (request.TotalVariationWeight != 0 || request.TotalVariationAsInput)
            {
                if (xs.Length != 4) throw new GradientBuildException($"{model.Origin}: total variation needs an NCHW input, got rank {xs.Length}; use --tv 0 for a model whose input is not an image.");
                var lam = request.TotalVariationWeight;
                string? lamInput = null;
                if (request.TotalVariationAsInput)
                {
                    lamInput = GradientNames.TotalVariationWeight;
                    if (Exists(lamInput)) throw new GradientBuildException($"{model.Origin}: input name '{lamInput}' is already used in the model; rename that tensor.");
                    e.Reserve(lamInput);
                    newInputs.Add(ValueInfo(lamInput, DataType.Float, []));
                }
                var (h, w) = (xs[2], xs[3]);
                var dh = e.Sub(e.Slice(inputName, [1], [h], [2]), e.Slice(inputName, [0], [h - 1], [2]));
                var dw = e.Sub(e.Slice(inputName, [1], [w], [3]), e.Slice(inputName, [0], [w - 1], [3]));
                long[] all = [0, 1, 2, 3];
                var tv = e.Add(e.ReduceSum(e.Mul(dh, dh), all, keepDims: false), e.ReduceSum(e.Mul(dw, dw), all, keepDims: false));
                // why: Mul by the fed scalar is the same float Mul as by the constant, and 2λ is exact in float either
                // way, so a λ fed at run time gives the same bits as λ built into the graph.
                loss = e.Add(loss, lamInput is null ? e.Scale(tv, lam) : e.Mul(tv, lamInput));
                if (needX)
                {
                    // d/dx Σ(x[i+1]−x[i])² = 2(Δ[i−1] − Δ[i]) with Δ zero outside its range.
                    var gh = e.Sub(e.Pad(dh, [0, 0, 1, 0, 0, 0, 0, 0]), e.Pad(dh, [0, 0, 0, 0, 0, 0, 1, 0]));
                    var gw = e.Sub(e.Pad(dw, [0, 0, 0, 1, 0, 0, 0, 0]), e.Pad(dw, [0, 0, 0, 0, 0, 0, 0, 1]));
                    Accumulate(inputName, lamInput is null ? e.Scale(e.Add(gh, gw), 2 * lam) : e.Mul(e.Add(gh, gw), e.Scale(lamInput, 2)));
                }
            }
            if (request.L2Weight != 0)
            {
                var all = Enumerable.Range(0, xs.Length).Select(v => (long)v).ToArray();
                loss = e.Add(loss, e.Scale(e.ReduceSum(e.Mul(inputName, inputName), all, keepDims: false), request.L2Weight));
                if (needX) Accumulate(inputName, e.Scale(inputName, 2 * request.L2Weight));
            }
        }
        e.Node("Identity", [loss], [GradientNames.Loss]);
        outputs.Add(ValueInfo(GradientNames.Loss, DataType.Float, []));

        // ---- reverse pass over the nodes between requested tensors and the loss
        for (var idx = forward.Count - 1; idx >= 0; idx--)
        {
            var n = forward[idx];
            if (!n.Output.Any(rootAncestors.Contains) || !n.Input.Any(requiresGrad.Contains) || NonDifferentiable.Contains(n.OpType)) continue;
            var dy = n.Output.Select(o => o.Length > 0 ? Collect(o) : null).ToArray();
            if (dy.All(d => d is null)) continue;
            var rule = GradientRules.Find(n.Domain ?? "", n.OpType)
                ?? throw new UnsupportedOperatorException(n.OpType, n.Name, opset, GradientRules.Supported, model.Origin);
            var needs = n.Input.Select(i => i.Length > 0 && requiresGrad.Contains(i)).ToArray();
            rule.Backward(new BackwardContext(n, e, dy, needs, shapes, consts, Accumulate));
        }

        // ---- gradient outputs
        foreach (var name in wrt)
        {
            var grad = Collect(name);
            var outName = GradientNames.Gradient(name);
            if (grad is null)
                e.Node("ConstantOfShape", [e.ShapeOf(name)], [outName], MakeTensor("value", TensorData.FromFloats("", [1], [0f])));
            else
                e.Node("Identity", [grad], [outName]);
            outputs.Add(ValueInfo(outName, DataType.Float, shapes.GetValueOrDefault(name), batchName));
        }
        foreach (var x in extras) outputs.Add(ValueInfo(x, DataType.Float, shapes.GetValueOrDefault(x), batchName));

        // ---- parameters as inputs
        if (request.ParametersAsInputs)
        {
            foreach (var name in wrt)
            {
                if (!initializers.TryGetValue(name, out var t)) continue;
                g.Initializer.Remove(g.Initializer.First(i => i.Name == name));
                if (g.Input.All(v => v.Name != name)) newInputs.Add(ValueInfo(name, DataType.Float, TensorData.Dims(t)));
            }
        }
        g.Input.AddRange(newInputs);
        g.Output.Clear();
        g.Output.AddRange(outputs);
        return clone;
    }

    /// <summary>The symbolic name of the primary input's batch dimension in <paramref name="g"/> (the clone), set to
    /// "N" when the dimension has neither a value nor a name.</summary>
    // why (issue 15): labels and outputs declared with a batch symbol other than the input's made ONNX Runtime's
    // shape inference treat the backward tensors' batch as unrelated to the forward ones, and session creation for a
    // 1,000-ReLU chain took 6 s instead of 0.7 s (3,000: 71 s); one shared symbol keeps it linear.
    private static string BatchName(GraphProto g, string? input)
    {
        var dims = g.Input.FirstOrDefault(v => v.Name == input)?.Type?.TensorType?.Shape?.Dim;
        if (dims is null || dims.Count == 0) return "N";
        if (dims[0].ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimParam && dims[0].DimParam.Length > 0) return dims[0].DimParam;
        if (dims[0].ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.None) dims[0].DimParam = "N";
        return "N";
    }

    private static ValueInfoProto ValueInfo(string name, DataType type, long[]? dims, string batchName = "N")
    {
        var tt = new TypeProto.Types.Tensor { ElemType = (int)type };
        if (dims is not null)
        {
            tt.Shape = new TensorShapeProto();
            foreach (var d in dims)
                tt.Shape.Dim.Add(d < 0 ? new TensorShapeProto.Types.Dimension { DimParam = d == ShapeInference.Batch ? batchName : $"{-d}{batchName}" } : new TensorShapeProto.Types.Dimension { DimValue = d });
        }
        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = tt } };
    }

    private static HashSet<string> Ancestors(GraphProto g, IEnumerable<string> roots) => new GraphIndex(g).AncestorTensors(roots);

    /// <summary>Puts the nodes in execution order (<see cref="GraphIndex.TopologicalOrder"/>); a graph that cannot be
    /// ordered is a <see cref="GradientBuildException"/>.</summary>
    private static void SortTopologically(GraphProto g, string origin)
    {
        int[] order;
        try
        {
            order = GraphIndex.TopologicalOrder(g, origin);
        }
        catch (ModelLoadException ex)
        {
            throw new GradientBuildException($"{ex.Message} The gradient builder needs every tensor produced once and no cycle; check the model with python -m onnx.checker.", ex);
        }
        var sorted = order.Select(i => g.Node[i]).ToList();
        g.Node.Clear();
        g.Node.AddRange(sorted);
    }
}
