using OnnxAudit.Errors;
using OnnxAudit.Graph;
using OnnxAudit.Onnx;
using Onnx;
using DataType = global::Onnx.TensorProto.Types.DataType;

namespace OnnxAudit.Audits.SplitInversion;

/// <summary>The two halves of a model split at one tensor: f1 runs on the trusted device, f2 on the untrusted party.</summary>
/// <param name="Point">The split point.</param>
/// <param name="Prefix">f1: the model's data input → the split tensor (its only output).</param>
/// <param name="Suffix">f2: the split tensor (its only data input, same name) → the model's outputs.</param>
internal sealed record SplitModels(SplitPoint Point, OnnxModel Prefix, OnnxModel Suffix);

/// <summary>Cuts an ONNX model into prefix f1 and suffix f2 at a split tensor. Stateless and thread-safe; the input
/// model is not modified.</summary>
internal static class ModelSplitter
{
    /// <summary>Builds f1 and f2 for <paramref name="point"/>. Nodes and initializers a half does not use are dropped;
    /// the split tensor gets a float value_info with a symbolic batch dimension "N" and the analysed per-sample shape.</summary>
    /// <exception cref="OnnxAuditException">The tensor is not produced by the model, or the graph does not separate there.</exception>
    public static SplitModels Split(OnnxModel model, SplitPoint point)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(point);
        var g = model.Graph;
        var initializerNames = g.Initializer.Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
        var dataInput = g.Input.FirstOrDefault(v => !initializerNames.Contains(v.Name))
            ?? throw new ModelLoadException($"{model.Origin}: the model has no data input; export the classifier with an image input.");
        if (!g.Node.Any(n => n.Output.Contains(point.Tensor)))
            throw new OnnxAuditException($"{model.Origin}: tensor '{point.Tensor}' is not produced by any node; pick a split point listed by `onnx-audit inspect`.");

        var tensorInfo = FloatValueInfo(point.Tensor, point.Shape);

        // f1: ancestors of the split tensor.
        var prefix = model.Clone($"{model.Origin} [f1 → {point.Tensor}]");
        var pg = prefix.Graph;
        var prefixNodes = Needed(pg, [point.Tensor], stopAt: null);
        Keep(pg, prefixNodes);
        pg.Output.Clear();
        pg.Output.Add(tensorInfo.Clone());
        Prune(pg, keepInputs: [dataInput.Name]);
        if (!prefixNodes.SelectMany(n => n.Input).Contains(dataInput.Name))
            throw new OnnxAuditException($"{model.Origin}: tensor '{point.Tensor}' does not depend on the input '{dataInput.Name}'; it is not a split point.");

        // f2: ancestors of the outputs, with the split tensor as the new data input.
        var suffix = model.Clone($"{model.Origin} [{point.Tensor} → f2]");
        var sg = suffix.Graph;
        var outputs = sg.Output.Select(o => o.Name).ToList();
        var suffixNodes = Needed(sg, outputs, stopAt: point.Tensor);
        if (suffixNodes.SelectMany(n => n.Input).Contains(dataInput.Name))
            throw new OnnxAuditException($"{model.Origin}: the output still depends on '{dataInput.Name}' without passing through '{point.Tensor}'; it is not a split point (see `onnx-audit inspect` for the valid ones).");
        Keep(sg, suffixNodes);
        sg.Input.Insert(0, tensorInfo.Clone());
        Prune(sg, keepInputs: [point.Tensor]);
        return new SplitModels(point, prefix, suffix);
    }

    /// <summary>A float tensor value_info with dim 0 symbolic ("N") and the remaining dims from <paramref name="shape"/>.</summary>
    internal static ValueInfoProto FloatValueInfo(string name, IReadOnlyList<long> shape)
    {
        var tt = new TypeProto.Types.Tensor { ElemType = (int)DataType.Float, Shape = new TensorShapeProto() };
        for (var i = 0; i < shape.Count; i++)
            tt.Shape.Dim.Add(i == 0 ? new TensorShapeProto.Types.Dimension { DimParam = "N" } : new TensorShapeProto.Types.Dimension { DimValue = shape[i] });
        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = tt } };
    }

    /// <summary>Nodes (in graph order) needed to compute <paramref name="roots"/>, not looking past <paramref name="stopAt"/>.</summary>
    private static List<NodeProto> Needed(GraphProto g, IEnumerable<string> roots, string? stopAt) =>
        [.. new GraphIndex(g).AncestorNodes(roots, stopAt).Select(i => g.Node[i])];

    private static void Keep(GraphProto g, List<NodeProto> nodes)
    {
        g.Node.Clear();
        g.Node.AddRange(nodes);
    }

    /// <summary>Drops initializers, inputs and value_infos no kept node (or output) uses; keeps <paramref name="keepInputs"/>.</summary>
    private static void Prune(GraphProto g, IReadOnlyCollection<string> keepInputs)
    {
        var used = new HashSet<string>(g.Node.SelectMany(n => n.Input).Concat(g.Output.Select(o => o.Name)), StringComparer.Ordinal);
        var produced = new HashSet<string>(g.Node.SelectMany(n => n.Output), StringComparer.Ordinal);
        var drop = g.Initializer.Where(t => !used.Contains(t.Name)).ToList();
        foreach (var t in drop) g.Initializer.Remove(t);
        var dropInputs = g.Input.Where(v => !keepInputs.Contains(v.Name) && !used.Contains(v.Name)).ToList();
        foreach (var v in dropInputs) g.Input.Remove(v);
        var dropInfo = g.ValueInfo.Where(v => !used.Contains(v.Name) && !produced.Contains(v.Name)).ToList();
        foreach (var v in dropInfo) g.ValueInfo.Remove(v);
    }
}
