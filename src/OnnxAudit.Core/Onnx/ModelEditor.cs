using OnnxAudit.Errors;
using Onnx;

namespace OnnxAudit.Onnx;

/// <summary>The two halves of a model cut at one tensor (see <see cref="ModelEditor.CutAt"/>).</summary>
/// <param name="Prefix">The model's data input → the cut tensor (its only output).</param>
/// <param name="Suffix">The cut tensor (its only data input, same name) → the model's outputs.</param>
public sealed record ModelCut(OnnxModel Prefix, OnnxModel Suffix);

/// <summary>A zero probe added to a tensor: <c>T ← T_pre + P</c> with <c>P</c> an all-zero float initializer, so the
/// gradient of a loss with respect to <c>P</c> is the gradient with respect to <c>T</c>.</summary>
/// <param name="Tensor">The node output to probe (its consumers keep reading this name).</param>
/// <param name="ProbeName">Name of the zero initializer (its Add node is named <c>ProbeName + "/add"</c>).</param>
/// <param name="Shape">Dims of the initializer, broadcast against the tensor (e.g. [1, C, H, W]).</param>
public sealed record TensorProbe(string Tensor, string ProbeName, IReadOnlyList<long> Shape);

/// <summary>
/// The one place that edits model graphs: every method returns a new model (a deep copy) or reads only — the input
/// model is never changed. Derived models: intermediate tensors exposed as outputs, a cut at a tensor, zero probes,
/// a bypassed node; plus the data input. Thread-safe for distinct inputs.
/// </summary>
public static class ModelEditor
{
    /// <summary>The data input: the first graph input that is not an initializer (before IR 4 initializers were also
    /// listed as graph inputs; those are weights, not data).</summary>
    /// <exception cref="ModelLoadException">Every graph input is an initializer.</exception>
    public static string DataInput(OnnxModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return DataInputs(model).FirstOrDefault()
            ?? throw new ModelLoadException($"{model.Origin}: the graph has no data input (every input is an initializer); an image classifier needs one — re-export the model with its input.");
    }

    /// <summary>The data input's declaration (first graph input that is not an initializer), or null.</summary>
    public static ValueInfoProto? DataInputInfo(OnnxModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var name = DataInputs(model).FirstOrDefault();
        return name is null ? null : model.Graph.Input.First(v => v.Name == name);
    }

    /// <summary>Every graph input that is not an initializer, in declaration order.</summary>
    public static IReadOnlyList<string> DataInputs(OnnxModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var initializers = model.Graph.Initializer.Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
        return model.Graph.Input.Select(v => v.Name).Where(n => !initializers.Contains(n)).ToList();
    }

    /// <summary>
    /// A copy of <paramref name="model"/> whose graph outputs also include <paramref name="tensors"/> (node outputs, typed
    /// float). Tensors that already are graph outputs are left as they are.
    /// </summary>
    /// <exception cref="ModelLoadException">A name is not produced by any node.</exception>
    public static OnnxModel ExposeOutputs(OnnxModel model, IEnumerable<string> tensors)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(tensors);
        var clone = model.Clone();
        var graph = clone.Graph;
        var produced = graph.Node.SelectMany(n => n.Output).ToHashSet(StringComparer.Ordinal);
        foreach (var name in tensors)
        {
            if (graph.Output.Any(o => o.Name == name)) continue;
            if (!produced.Contains(name))
                throw new ModelLoadException($"{model.Origin}: tensor '{name}' is not produced by any node; pass a tensor name of the model (see `onnx-audit inspect`).");
            graph.Output.Add(new ValueInfoProto
            {
                Name = name,
                Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float } },
            });
        }
        return clone;
    }

    /// <summary>Prefix of the names of nodes and constants that <see cref="PrependNormalization"/> adds.</summary>
    public const string PreprocessPrefix = "onnx_audit.preprocess/";

    /// <summary>
    /// For a model whose data input is uint8 (image bytes 0..255) and read only by Cast nodes to float: a copy whose input
    /// is float32 pixels in [0,1], scaled by 255 inside the graph (a Mul node), with each former Cast an Identity of the
    /// scaled input — the same values the Cast produced for byte images, and differentiable. Any other model is returned
    /// unchanged.
    /// </summary>
    /// <exception cref="ModelLoadException">The uint8 input is also read by a node other than a Cast to float.</exception>
    // why (issue 15): a uint8 input followed by Cast is a valid export (images as bytes); the audits feed float pixels
    // and differentiate with respect to them, which a Cast from uint8 does not allow.
    public static OnnxModel FloatPixelsForByteInput(OnnxModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var info = DataInputInfo(model);
        if (info?.Type?.TensorType is not { ElemType: (int)TensorProto.Types.DataType.Uint8 }) return model;
        var input = info.Name;
        var readers = model.Graph.Node.Where(n => n.Input.Contains(input)).ToList();
        var bad = readers.FirstOrDefault(n => !(n.OpType == "Cast" && n.Domain is "" or "ai.onnx" && NodeAttributes.Int(n, "to", 0) == (int)TensorProto.Types.DataType.Float));
        if (bad is not null || model.Graph.Output.Any(o => o.Name == input))
            throw new ModelLoadException($"{model.Origin}: data input '{Common.SafeText.Escape(input, 40)}' is uint8 and is read by {(bad is null ? "the graph output" : $"node '{Common.SafeText.Escape(bad.Name, 40)}' ({bad.OpType})")}, not only by a Cast to float, so it cannot be fed float pixels; re-export the model with a float32 input (e.g. move the Cast from uint8 out of the model).");
        var clone = model.Clone();
        var graph = clone.Graph;
        var scaled = PreprocessPrefix + input + "/x255";
        foreach (var node in graph.Node.Where(n => n.Input.Contains(input)).ToList())
        {
            node.OpType = "Identity";
            node.Attribute.Clear();
            for (var i = 0; i < node.Input.Count; i++)
                if (node.Input[i] == input) node.Input[i] = scaled;
        }
        graph.Input.First(v => v.Name == input).Type.TensorType.ElemType = (int)TensorProto.Types.DataType.Float;
        graph.Initializer.Add(FloatTensor(PreprocessPrefix + "255", [], [255f]));
        graph.Node.Insert(0, new NodeProto { OpType = "Mul", Name = PreprocessPrefix + "x255", Input = { input, PreprocessPrefix + "255" }, Output = { scaled } });
        return OnnxModel.FromProto(clone.Proto, model.Origin);
    }

    /// <summary>
    /// A copy of <paramref name="model"/> whose data input takes pixels in [0,1] and is normalised inside the graph by
    /// a prefix y = (x − mean[c]) / std[c] (a Sub and a Div node with constants shaped [1, C, 1, 1], or [1, D] for a flat
    /// [N, D] input whose D = C·plane). The input keeps its name and shape; every former consumer reads the Div output.
    /// </summary>
    /// <exception cref="ModelLoadException">The channel count does not match the input.</exception>
    public static OnnxModel PrependNormalization(OnnxModel model, IReadOnlyList<float> mean, IReadOnlyList<float> std)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(mean);
        ArgumentNullException.ThrowIfNull(std);
        var clone = model.Clone();
        var graph = clone.Graph;
        var input = DataInput(clone);
        var info = graph.Input.First(v => v.Name == input);
        var dims = info.Type?.TensorType?.Shape?.Dim.Select(d => d.HasDimValue ? d.DimValue : -1).ToArray() ?? [];
        var channels = Math.Max(mean.Count, std.Count);
        long[] constDims;
        float[] m, s;
        if (dims.Length == 4)
        {
            var c = dims[1] > 0 ? dims[1] : channels;
            if (channels != 1 && c != channels)
                throw new ModelLoadException($"{model.Origin}: normalisation has {channels} values but input '{input}' has {c} channels; give 1 or {c} mean/std values.");
            constDims = [1, c, 1, 1];
            m = Expand(mean, (int)c, 1);
            s = Expand(std, (int)c, 1);
        }
        else if (channels == 1 || dims.Length < 2)
        {
            constDims = [1];
            m = [mean[0]];
            s = [std[0]];
        }
        else
        {
            // why: a flat [N, D] (or [N, H, W]) input holds the C planes one after another (row-major C×H×W).
            var d = dims.Skip(1).Aggregate(1L, (a, b) => a * b);
            if (d <= 0 || d % channels != 0)
                throw new ModelLoadException($"{model.Origin}: input '{input}' of shape [{string.Join(",", dims)}] cannot hold {channels} channel planes; give one mean/std value.");
            constDims = [1, .. dims.Skip(1)];
            m = Expand(mean, channels, (int)(d / channels));
            s = Expand(std, channels, (int)(d / channels));
        }
        var normalized = PreprocessPrefix + input + "/normalized";
        var centred = PreprocessPrefix + input + "/centred";
        foreach (var node in graph.Node)
        {
            for (var i = 0; i < node.Input.Count; i++)
                if (node.Input[i] == input) node.Input[i] = normalized;
        }
        foreach (var o in graph.Output)
        {
            if (o.Name == input) throw new ModelLoadException($"{model.Origin}: the input '{input}' is also a graph output; it cannot be normalised in the graph.");
        }
        graph.Initializer.Add(FloatTensor(PreprocessPrefix + "mean", constDims, m));
        graph.Initializer.Add(FloatTensor(PreprocessPrefix + "std", constDims, s));
        graph.Node.Insert(0, new NodeProto { OpType = "Div", Name = PreprocessPrefix + "Div", Input = { centred, PreprocessPrefix + "std" }, Output = { normalized } });
        graph.Node.Insert(0, new NodeProto { OpType = "Sub", Name = PreprocessPrefix + "Sub", Input = { input, PreprocessPrefix + "mean" }, Output = { centred } });
        return OnnxModel.FromProto(clone.Proto, model.Origin);
    }

    /// <summary>The class names the model declares in <c>metadata_props</c> (key <c>classes</c>, <c>class_names</c>,
    /// <c>labels</c> or <c>names</c>: a JSON list, a JSON object index → name, or comma-separated), or null.</summary>
    public static IReadOnlyList<string>? ClassNames(OnnxModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        foreach (var key in new[] { "classes", "class_names", "labels", "names" })
        {
            var prop = model.Proto.MetadataProps.FirstOrDefault(p => string.Equals(p.Key, key, StringComparison.OrdinalIgnoreCase));
            if (prop is null || string.IsNullOrWhiteSpace(prop.Value)) continue;
            var v = prop.Value.Trim();
            try
            {
                if (v.StartsWith('['))
                    return System.Text.Json.JsonSerializer.Deserialize<string[]>(v);
                if (v.StartsWith('{'))
                {
                    var map = System.Text.Json.JsonSerializer.Deserialize<Dictionary<string, string>>(v)!;
                    return map.OrderBy(p => int.Parse(p.Key, System.Globalization.CultureInfo.InvariantCulture)).Select(p => p.Value).ToArray();
                }
            }
            catch (Exception e) when (e is System.Text.Json.JsonException or FormatException)
            {
                continue;
            }
            return v.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        }
        return null;
    }

    private static float[] Expand(IReadOnlyList<float> v, int c, int repeat)
    {
        var r = new float[c * repeat];
        for (var i = 0; i < r.Length; i++) r[i] = v[v.Count == 1 ? 0 : i / repeat];
        return r;
    }

    private static TensorProto FloatTensor(string name, long[] dims, float[] values)
    {
        var t = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float };
        t.Dims.AddRange(dims);
        t.FloatData.AddRange(values);
        return t;
    }

    /// <summary>
    /// Cuts <paramref name="model"/> at <paramref name="tensor"/>. The prefix keeps the nodes the tensor needs and
    /// outputs only the tensor (declared as <paramref name="tensor"/>); the suffix keeps the nodes the model's outputs
    /// need, not looking past the tensor, which becomes its first graph input. Initializers, inputs and value_infos a
    /// half does not use are dropped. Node order is the file order.
    /// </summary>
    /// <param name="model">The model to cut; not modified.</param>
    /// <param name="tensor">Declaration (name, type, shape) the cut tensor gets in both halves.</param>
    /// <param name="prefixOrigin">Origin of the prefix (null: the model's).</param>
    /// <param name="suffixOrigin">Origin of the suffix (null: the model's).</param>
    /// <exception cref="ModelLoadException">The model has no data input.</exception>
    /// <exception cref="OnnxAuditException">The tensor is not produced by any node, does not depend on the data input,
    /// or the outputs reach the data input without passing through it.</exception>
    public static ModelCut CutAt(OnnxModel model, ValueInfoProto tensor, string? prefixOrigin = null, string? suffixOrigin = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(tensor);
        var name = tensor.Name;
        var g = model.Graph;
        var dataInput = DataInputs(model).FirstOrDefault()
            ?? throw new ModelLoadException($"{model.Origin}: the model has no data input; export the classifier with an image input.");
        if (!g.Node.Any(n => n.Output.Contains(name)))
            throw new OnnxAuditException($"{model.Origin}: tensor '{name}' is not produced by any node; pick a split point listed by `onnx-audit inspect`.");

        var prefix = model.Clone(prefixOrigin);
        var pg = prefix.Graph;
        var prefixNodes = Needed(pg, [name], stopAt: null);
        KeepNodes(pg, prefixNodes);
        pg.Output.Clear();
        pg.Output.Add(tensor.Clone());
        Prune(pg, keepInputs: [dataInput]);
        if (!prefixNodes.SelectMany(n => n.Input).Contains(dataInput))
            throw new OnnxAuditException($"{model.Origin}: tensor '{name}' does not depend on the input '{dataInput}'; it is not a split point.");

        var suffix = model.Clone(suffixOrigin);
        var sg = suffix.Graph;
        var suffixNodes = Needed(sg, sg.Output.Select(o => o.Name).ToList(), stopAt: name);
        if (suffixNodes.SelectMany(n => n.Input).Contains(dataInput))
            throw new OnnxAuditException($"{model.Origin}: the output still depends on '{dataInput}' without passing through '{name}'; it is not a split point (see `onnx-audit inspect` for the valid ones).");
        KeepNodes(sg, suffixNodes);
        sg.Input.Insert(0, tensor.Clone());
        Prune(sg, keepInputs: [name]);
        return new ModelCut(prefix, suffix);
    }

    /// <summary>
    /// A copy of <paramref name="model"/> with a zero probe on each tensor: the producing node now writes
    /// <c>Tensor + "/probe_pre"</c>, and an Add node inserted right after it writes <c>Tensor</c> = pre + probe.
    /// Values are unchanged; the probe initializers' gradients are the tensors' gradients.
    /// </summary>
    /// <exception cref="ModelLoadException">A tensor is not produced by any node, or a probe name is already taken.</exception>
    public static OnnxModel InsertProbes(OnnxModel model, IEnumerable<TensorProbe> probes, string? origin = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(probes);
        var copy = model.Clone(origin);
        var g = copy.Graph;
        foreach (var p in probes)
        {
            var idx = -1;
            var k = -1;
            for (var i = 0; i < g.Node.Count && idx < 0; i++)
            {
                k = g.Node[i].Output.IndexOf(p.Tensor);
                if (k >= 0) idx = i;
            }
            if (idx < 0)
                throw new ModelLoadException($"{model.Origin}: tensor '{p.Tensor}' is not produced by any node; a probe needs a node output.");
            if (g.Initializer.Any(t => t.Name == p.ProbeName) || g.Input.Any(v => v.Name == p.ProbeName) || g.Node.Any(n => n.Output.Contains(p.ProbeName)))
                throw new ModelLoadException($"{model.Origin}: probe name '{p.ProbeName}' is already used in the graph; pick another name.");
            var pre = p.Tensor + "/probe_pre";
            g.Node[idx].Output[k] = pre;
            var count = p.Shape.Aggregate(1L, (a, d) => a * d);
            g.Initializer.Add(TensorData.FromFloats(p.ProbeName, p.Shape.ToArray(), new float[count]));
            g.Node.Insert(idx + 1, new NodeProto { OpType = "Add", Name = p.ProbeName + "/add", Input = { pre, p.ProbeName }, Output = { p.Tensor } });
        }
        return copy;
    }

    /// <summary>
    /// A copy of <paramref name="model"/> without the single-output node that produces <paramref name="output"/>: every
    /// consumer of that tensor reads the node's first input instead, and the tensor's value_info is dropped.
    /// </summary>
    /// <exception cref="ModelLoadException">No single-output node produces the tensor, or it is a graph output (removing
    /// the node would change the model's interface).</exception>
    public static OnnxModel BypassNode(OnnxModel model, string output, string? origin = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(output);
        var clone = model.Clone(origin);
        var g = clone.Graph;
        var node = g.Node.FirstOrDefault(n => n.Output.Count == 1 && n.Output[0] == output && n.Input.Count > 0)
            ?? throw new ModelLoadException($"{model.Origin}: no single-output node produces '{output}'; pass a node output of the model (see `onnx-audit inspect`).");
        if (g.Output.Any(o => o.Name == output))
            throw new ModelLoadException($"{model.Origin}: '{output}' is a graph output, so its node cannot be removed without changing the model's interface; re-export the model without that tensor as an output.");
        var input = node.Input[0];
        foreach (var n in g.Node)
            for (var k = 0; k < n.Input.Count; k++)
                if (n.Input[k] == output) n.Input[k] = input;
        g.Node.Remove(node);
        var vi = g.ValueInfo.FirstOrDefault(v => v.Name == output);
        if (vi is not null) g.ValueInfo.Remove(vi);
        return OnnxModel.FromProto(clone.Proto, clone.Origin);
    }

    /// <summary>Nodes (in graph order) needed to compute <paramref name="roots"/>, not looking past <paramref name="stopAt"/>.</summary>
    private static List<NodeProto> Needed(GraphProto g, IEnumerable<string> roots, string? stopAt) =>
        [.. new GraphIndex(g).AncestorNodes(roots, stopAt).Select(i => g.Node[i])];

    private static void KeepNodes(GraphProto g, List<NodeProto> nodes)
    {
        g.Node.Clear();
        g.Node.AddRange(nodes);
    }

    /// <summary>Drops initializers, inputs and value_infos no kept node (or output) uses; keeps <paramref name="keepInputs"/>.</summary>
    private static void Prune(GraphProto g, IReadOnlyCollection<string> keepInputs)
    {
        var used = new HashSet<string>(g.Node.SelectMany(n => n.Input).Concat(g.Output.Select(o => o.Name)), StringComparer.Ordinal);
        var produced = new HashSet<string>(g.Node.SelectMany(n => n.Output), StringComparer.Ordinal);
        foreach (var t in g.Initializer.Where(t => !used.Contains(t.Name)).ToList()) g.Initializer.Remove(t);
        foreach (var v in g.Input.Where(v => !keepInputs.Contains(v.Name) && !used.Contains(v.Name)).ToList()) g.Input.Remove(v);
        foreach (var v in g.ValueInfo.Where(v => !used.Contains(v.Name) && !produced.Contains(v.Name)).ToList()) g.ValueInfo.Remove(v);
    }
}
