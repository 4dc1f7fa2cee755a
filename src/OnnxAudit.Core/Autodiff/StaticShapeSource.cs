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
