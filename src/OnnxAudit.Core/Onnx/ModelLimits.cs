using System.Globalization;
using OnnxAudit.Common;
using OnnxAudit.Errors;
using Onnx;

namespace OnnxAudit.Onnx;

/// <summary>
/// Resource limits of an imported model, checked before anything is allocated for it: node count (every graph and
/// subgraph), subgraph nesting, declared input sizes (per sample and in bytes against <see cref="MemoryBudget"/>) and
/// declared initializer sizes. All walks are iterative. Stateless and thread-safe.
/// </summary>
internal static class ModelLimits
{
    /// <summary>Most nodes in a model, subgraphs included.</summary>
    // why: the audits' graph walks and gradient graphs grow with node count; classifiers in the torchvision zoo have
    // at most a few thousand nodes (ViT-B/16 about 1,500), hostile files tens of thousands of Identity nodes.
    internal const int MaxNodes = 10_000;

    /// <summary>Most nested subgraph levels (If inside Loop inside …).</summary>
    internal const int MaxSubgraphDepth = 32;

    /// <summary>Most elements of one sample of a graph input (2^26 = 67 M floats, 256 MB; a 4096×4096 RGB image is 50 M).</summary>
    internal const long MaxInputElementsPerSample = 1L << 26;

    /// <summary>Checks <paramref name="proto"/> against the limits.</summary>
    /// <exception cref="ModelLoadException">A limit is exceeded; the message names the tensor or graph, the numbers and the fix.</exception>
    public static void Check(ModelProto proto, string path)
    {
        ArgumentNullException.ThrowIfNull(proto);
        var nodes = 0L;
        var pending = new Stack<(GraphProto Graph, int Depth)>();
        if (proto.Graph is not null) pending.Push((proto.Graph, 0));
        while (pending.Count > 0)
        {
            var (g, depth) = pending.Pop();
            if (depth > MaxSubgraphDepth)
                throw new ModelLoadException($"{path}: subgraph '{SafeText.Escape(g.Name)}' is nested {depth} levels deep (If/Loop/Scan bodies within bodies), above the limit of {MaxSubgraphDepth}; the file is malformed or hostile — re-export the model without nested control flow.");
            nodes += g.Node.Count;
            if (nodes > MaxNodes)
                throw new ModelLoadException(string.Create(CultureInfo.InvariantCulture, $"{path}: the model has more than {MaxNodes:N0} nodes (graph '{SafeText.Escape(g.Name)}' alone has {g.Node.Count:N0}), above the limit of {MaxNodes:N0} nodes for an image classifier; simplify the model (e.g. python -m onnxsim, which removes Identity chains) and audit that."));
            foreach (var t in g.Initializer) CheckTensor(t, path);
            foreach (var n in g.Node)
            {
                foreach (var a in n.Attribute)
                {
                    if (a.T is not null) CheckTensor(a.T, path);
                    foreach (var t in a.Tensors) CheckTensor(t, path);
                    if (a.G is not null) pending.Push((a.G, depth + 1));
                    foreach (var sub in a.Graphs) pending.Push((sub, depth + 1));
                }
            }
        }
        if (proto.Graph is { } main)
        {
            var initializers = main.Initializer.Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
            foreach (var input in main.Input.Where(i => !initializers.Contains(i.Name))) CheckInput(input, path);
        }
    }

    /// <summary>Checks one declared graph input: per-sample elements and bytes (symbolic dims count as 1).</summary>
    private static void CheckInput(ValueInfoProto input, string path)
    {
        if (input.Type?.TensorType?.Shape is not { } shape) return;
        var dims = shape.Dim.Select(d => d.ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue ? d.DimValue : 1).ToArray();
        var text = string.Join(", ", shape.Dim.Select(d => d.ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue ? d.DimValue.ToString(CultureInfo.InvariantCulture) : SafeText.Escape(d.DimParam, 20) is { Length: > 0 } p ? p : "?"));
        if (dims.Any(d => d < 0))
            throw new ModelLoadException($"{path}: graph input '{SafeText.Escape(input.Name)}' declares a negative dimension [{text}]; re-export the model with valid input dimensions.");
        var perSample = dims.Skip(1).Aggregate(1L, MemoryBudget.Multiply);
        if (perSample > MaxInputElementsPerSample)
            throw new ModelLoadException(string.Create(CultureInfo.InvariantCulture, $"{path}: graph input '{SafeText.Escape(input.Name)}' declares [{text}], {(perSample == long.MaxValue ? "more than 9.2e18" : perSample.ToString("N0", CultureInfo.InvariantCulture))} elements per sample, above the limit of {MaxInputElementsPerSample:N0} (a 4096×4096 RGB image); re-export the model for the image size it is used with (e.g. 3×224×224)."));
        // why: ONNX Runtime measures shapes at the model's fixed batch size and its intermediate tensors are several times
        // the input; a declared input of 2^25 × 36 floats passed a half-of-RAM check and then took 9.8 GB (fuzz case).
        var total = dims.Aggregate(1L, MemoryBudget.Multiply);
        if (total > MaxInputElementsPerSample)
            throw new ModelLoadException(string.Create(CultureInfo.InvariantCulture, $"{path}: graph input '{SafeText.Escape(input.Name)}' declares [{text}], {(total == long.MaxValue ? "more than 9.2e18" : total.ToString("N0", CultureInfo.InvariantCulture))} elements with its fixed batch dimension, above the limit of {MaxInputElementsPerSample:N0}; re-export the model with a symbolic batch dimension (torch.onnx.export(..., dynamic_axes={{'input': {{0: 'batch'}}}})) or a smaller fixed batch."));
        MemoryBudget.Check(MemoryBudget.Multiply(total, 4), $"{path}: graph input '{SafeText.Escape(input.Name)}' [{text}]",
            "re-export the model with a smaller fixed batch dimension (or a symbolic one)", m => new ModelLoadException(m));
    }

    /// <summary>Checks that a tensor's declared size fits the memory limit (before it is decoded or densified).</summary>
    private static void CheckTensor(TensorProto t, string path)
    {
        if (t.Dims.Any(d => d < 0))
            throw new ModelLoadException($"{path}: tensor '{SafeText.Escape(t.Name)}' declares a negative dimension [{string.Join(", ", t.Dims.Take(8))}]; the file is corrupt — re-export the model.");
        var size = Math.Max(1, TensorData.ElementSize((TensorProto.Types.DataType)t.DataType));
        var bytes = MemoryBudget.Multiply(t.Dims.Aggregate(1L, MemoryBudget.Multiply), size);
        MemoryBudget.Check(bytes, $"{path}: tensor '{SafeText.Escape(t.Name)}' [{string.Join(", ", t.Dims.Take(8))}]", "the file is corrupt or hostile — re-export the model", m => new ModelLoadException(m));
    }
}
