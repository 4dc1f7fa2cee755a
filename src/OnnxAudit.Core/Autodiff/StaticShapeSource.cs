using OnnxAudit.Graph;
using OnnxAudit.Onnx;
using Onnx;

namespace OnnxAudit.Autodiff;

/// <summary>
/// Shape source for the graph analyzer that derives every tensor's shape statically (the gradient builder's shape pass
/// with shape-arithmetic folding), without running the model, and falls back to <paramref name="fallback"/> (ONNX
/// Runtime's <c>ShapeProbe</c>) when some node output cannot be derived. Thread-safe (no state).
/// </summary>
/// <param name="fallback">Used when the static pass leaves a tensor unknown.</param>
// why: issue 17: the probe exposes every node output and serialises a copy of the model for ONNX Runtime, so inspecting
// vgg11_bn@224 (530 MB of weights) took 2.9 GB; the static pass reads only dims and small integer constants.
public sealed class StaticShapeSource(ITensorShapeSource fallback) : ITensorShapeSource
{
    /// <summary>The graph analysis with shapes derived statically, ONNX Runtime (batch <see cref="GraphAnalysisOptions.BatchSize"/>)
    /// measuring them only when the static pass cannot.</summary>
    /// <exception cref="Errors.ModelLoadException">The graph is malformed or ONNX Runtime cannot run it.</exception>
    public static GraphAnalysis Analyze(OnnxModel model, GraphAnalysisOptions? options = null, Runtime.RuntimeOptions? runtime = null) =>
        GraphAnalyzer.Analyze(model, (options ?? GraphAnalysisOptions.Default) with
        {
            Shapes = new StaticShapeSource(new Runtime.ShapeProbe(runtime ?? Runtime.RuntimeOptions.Default)),
        });

    /// <summary>
    /// For a model whose data input has a fixed batch dimension (e.g. 14, or the 1 of an export without dynamic axes): a
    /// copy whose input and outputs declare a symbolic batch "batch" instead, when the static shape pass shows that the
    /// graph's output then follows the batch (no shape constant bakes the fixed size in). Otherwise, and for models with
    /// a free batch dimension, the model is returned unchanged.
    /// </summary>
    // why (issue 15): a fixed batch dimension 14 made every audit fail inside ONNX Runtime ("Got invalid dimensions for
    // input") because the audits feed batches of their own size; relaxing it lets them run as for a dynamic export.
    public static OnnxModel RelaxFixedBatch(OnnxModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var info = ModelEditor.DataInputInfo(model);
        var dims = info?.Type?.TensorType?.Shape?.Dim;
        if (dims is null || dims.Count < 2 || dims[0].ValueCase != TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue || dims[0].DimValue < 1) return model;
        if (ModelEditor.DataInputs(model).Count != 1 || model.DefaultOpset is < GradientGraphBuilder.MinOpset or > GradientGraphBuilder.MaxOpset) return model;
        var fixedBatch = dims[0].DimValue;
        var clone = model.Clone();
        var g = clone.Graph;
        g.Input.First(v => v.Name == info!.Name).Type.TensorType.Shape.Dim[0] = new TensorShapeProto.Types.Dimension { DimParam = "batch" };
        Dictionary<string, long[]> shapes;
        try { shapes = ShapeInference.Infer(g, clone.DefaultOpset, new ConstantTable(g)); }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or IndexOutOfRangeException or OverflowException or KeyNotFoundException)
        {
            return model;
        }
        foreach (var o in g.Output)
        {
            if (!shapes.TryGetValue(o.Name, out var s) || s.Length == 0 || s[0] != ShapeInference.Batch) return model;
            if (o.Type?.TensorType?.Shape is { Dim.Count: > 0 } os && os.Dim[0].ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue && os.Dim[0].DimValue == fixedBatch)
                os.Dim[0] = new TensorShapeProto.Types.Dimension { DimParam = "batch" };
        }
        // value_info hints recorded at the fixed size would contradict the symbolic batch in ONNX Runtime.
        g.ValueInfo.Clear();
        return OnnxModel.FromProto(clone.Proto, model.Origin);
    }

    /// <summary>True when the last <see cref="Measure"/> used the fallback (for tests and diagnostics).</summary>
    public bool UsedFallback { get; private set; }

    /// <inheritdoc />
    public Dictionary<string, TensorShapeInfo> Measure(OnnxModel model, IReadOnlyList<ValueInfoProto> dataInputs, int batchSize, out int batch)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(dataInputs);
        UsedFallback = false;
        var result = TryStatic(model, dataInputs, batchSize, out batch);
        if (result is not null) return result;
        UsedFallback = true;
        return fallback.Measure(model, dataInputs, batchSize, out batch);
    }

    private static Dictionary<string, TensorShapeInfo>? TryStatic(OnnxModel model, IReadOnlyList<ValueInfoProto> dataInputs, int batchSize, out int batch)
    {
        batch = batchSize;
        var g = model.Graph;
        var opset = model.DefaultOpset;
        if (opset is < GradientGraphBuilder.MinOpset or > GradientGraphBuilder.MaxOpset) return null;
        if (g.Node.Any(n => n.Domain is not ("" or "ai.onnx") || n.Attribute.Any(a => a.G is not null || a.Graphs.Count > 0))) return null;
        // The batch: the primary input's first dimension when fixed, else the requested size.
        var types = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var t in g.Initializer) types[t.Name] = t.DataType;
        for (var k = 0; k < dataInputs.Count; k++)
        {
            var tt = dataInputs[k].Type?.TensorType;
            if (tt?.Shape is null) return null;
            for (var a = 1; a < tt.Shape.Dim.Count; a++)
                if (tt.Shape.Dim[a].ValueCase != TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue || tt.Shape.Dim[a].DimValue <= 0) return null;
            if (k == 0 && tt.Shape.Dim.Count > 0 && tt.Shape.Dim[0].ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue && tt.Shape.Dim[0].DimValue > 0)
                batch = (int)tt.Shape.Dim[0].DimValue;
            types[dataInputs[k].Name] = tt.ElemType;
        }
        Dictionary<string, long[]> shapes;
        try { shapes = ShapeInference.Infer(g, opset, new ConstantTable(g)); }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or IndexOutOfRangeException or OverflowException or KeyNotFoundException)
        {
            return null;
        }
        CheckIntermediates(model, shapes, new Dictionary<string, int>(types, StringComparer.Ordinal), batch);
        var result = new Dictionary<string, TensorShapeInfo>(StringComparer.Ordinal);
        foreach (var vi in dataInputs)
        {
            if (!shapes.TryGetValue(vi.Name, out var s)) return null;
            result[vi.Name] = Info(vi.Name, types[vi.Name], s, batch);
        }
        foreach (var n in g.Node)
        {
            var elem = OutputType(n, types);
            foreach (var o in n.Output)
            {
                if (o.Length == 0) continue;
                if (!shapes.TryGetValue(o, out var s) || elem is null) return null;
                types[o] = elem.Value;
                result[o] = Info(o, elem.Value, s, batch);
            }
        }
        return result;
    }

    /// <summary>Refuses a node output whose statically derived size at <paramref name="batch"/> exceeds the memory
    /// limit, before ONNX Runtime (the shape probe or an audit session) would allocate it.</summary>
    // why (issue 15): an Expand of the input to 6.3 GB (also Tile, Resize, ConstantOfShape, Range, Reshape-free
    // broadcasts) inside a 1 KB model made ONNX Runtime allocate until the process was killed; the declared input and
    // initializer limits do not see intermediates. Unknown shapes (the pass could not derive them) are not checked.
    internal static void CheckIntermediates(OnnxModel model, Dictionary<string, long[]> shapes, Dictionary<string, int> types, int batch)
    {
        foreach (var n in model.Graph.Node)
        {
            var elem = OutputType(n, types);
            var size = elem is { } e ? Math.Max(1, TensorData.ElementSize((TensorProto.Types.DataType)e)) : 4;
            foreach (var o in n.Output)
            {
                if (o.Length == 0) continue;
                if (elem is { } t) types[o] = t;
                if (!shapes.TryGetValue(o, out var dims)) continue;
                var elements = dims.Aggregate(1L, (a, d) => Common.MemoryBudget.Multiply(a, d < 0 ? Common.MemoryBudget.Multiply(-d, Math.Max(batch, 1)) : d));
                var bytes = Common.MemoryBudget.Multiply(elements, size);
                if (bytes <= Common.MemoryBudget.Limit) continue;
                var shown = string.Join(", ", dims.Take(8).Select(d => d < 0 ? (-d * (long)Math.Max(batch, 1)).ToString(System.Globalization.CultureInfo.InvariantCulture) : d.ToString(System.Globalization.CultureInfo.InvariantCulture)));
                Common.MemoryBudget.Check(bytes,
                    $"{model.Origin}: node '{Common.SafeText.Escape(n.Name.Length > 0 ? n.Name : n.OpType, 60)}' ({n.OpType}) output '{Common.SafeText.Escape(o, 60)}' [{shown}{(dims.Length > 8 ? ", …" : "")}] at batch {batch}",
                    "the model materialises a huge intermediate tensor — re-export it without that node or with smaller shapes",
                    m => new Errors.ModelLoadException(m));
            }
        }
    }

    // The element type of a node's outputs (ONNX TensorProto.DataType codes), or null when this pass does not know it.
    private static int? OutputType(NodeProto n, Dictionary<string, int> types)
    {
        const int Float = 1, Bool = 9, Int64 = 7;
        switch (n.OpType)
        {
            case "Shape" or "Size" or "ArgMax" or "ArgMin" or "NonZero": return Int64;
            case "Equal" or "Less" or "Greater" or "LessOrEqual" or "GreaterOrEqual" or "Not" or "And" or "Or" or "Xor" or "IsNaN" or "IsInf": return Bool;
            case "Cast": return (int)NodeAttributes.Int(n, "to", Float);
            case "Constant": return NodeAttributes.Find(n, "value") is { T: { } t } ? t.DataType : null;
            case "ConstantOfShape": return NodeAttributes.Find(n, "value") is { T: { } v } ? v.DataType : Float;
            case "Where": return n.Input.Count > 1 && types.TryGetValue(n.Input[1], out var w) ? w : null;
            default:
                foreach (var i in n.Input)
                    if (i.Length > 0 && types.TryGetValue(i, out var ty)) return ty;
                return null;
        }
    }

    private static TensorShapeInfo Info(string name, int elemType, long[] dims, int batch)
    {
        // why: the static pass writes the symbolic batch as −1 and a folded multiple k·N as −k.
        var shape = dims.Select(d => d < 0 ? -d * batch : d).ToArray();
        // the same rule as the ONNX Runtime probe: a tensor is batched when its first dimension equals the batch size
        var batched = shape.Length > 0 && shape[0] == batch;
        var total = shape.Aggregate(1L, (a, b) => a * b);
        return new TensorShapeInfo(name, ElementTypes.Name(elemType), shape, batched ? total / Math.Max(batch, 1) : total, batched);
    }
}
