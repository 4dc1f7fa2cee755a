using OnnxAudit.Errors;
using OnnxAudit.Onnx;
using Onnx;

namespace OnnxAudit.Graph;

/// <summary>
/// Analyzes an ONNX classifier: execution order, operators, layers, tensor shapes (measured with ONNX Runtime),
/// ReLU layers, the fully-connected head and candidate split points. Stateless and thread-safe.
/// </summary>
public static class GraphAnalyzer
{
    /// <summary>Analyzes <paramref name="model"/>, measuring tensor shapes with <see cref="GraphAnalysisOptions.Shapes"/> at
    /// <see cref="GraphAnalysisOptions.BatchSize"/> samples. The model is not modified.</summary>
    /// <exception cref="ModelLoadException">The graph is malformed (cycle, dangling input, no input/output), has free
    /// dimensions other than the batch, or ONNX Runtime cannot run it.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The batch size is below 1.</exception>
    public static GraphAnalysis Analyze(OnnxModel model, GraphAnalysisOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        options ??= GraphAnalysisOptions.Default;
        ArgumentOutOfRangeException.ThrowIfLessThan(options.BatchSize, 1, nameof(options));
        var origin = model.Origin;
        var graph = model.Graph ?? throw new ModelLoadException($"{origin}: the model has no graph; it is not a usable ONNX model — re-export it.");

        var initializerNames = new HashSet<string>(graph.Initializer.Select(t => t.Name));
        // why: before IR 4 initializers were also listed as graph inputs; those are weights, not data.
        var dataInputs = graph.Input.Where(i => !initializerNames.Contains(i.Name)).ToList();
        if (dataInputs.Count == 0) throw new ModelLoadException($"{origin}: the graph has no data input (every input is an initializer); an image classifier needs one — re-export the model with its input.");
        if (graph.Output.Count == 0) throw new ModelLoadException($"{origin}: the graph declares no output; re-export the model with its output.");
        CheckAuditable(graph, dataInputs, origin);

        var order = GraphIndex.TopologicalOrder(graph, origin);
        var source = options.Shapes ?? throw new ArgumentException("GraphAnalysisOptions.Shapes is required (the runtime stage's ShapeProbe measures shapes; ModelAnalysis.Analyze sets it)", nameof(options));
        var shapes = source.Measure(model, dataInputs, options.BatchSize, out var batch);
        var ctx = new GraphContext(model, order, dataInputs.Select(i => i.Name).ToList(), shapes, batch);

        var counters = new Dictionary<string, int>();
        var nodeNames = ctx.Nodes.Select(n =>
        {
            var k = counters.GetValueOrDefault(n.OpType);
            counters[n.OpType] = k + 1;
            return n.Name.Length > 0 ? n.Name : $"{n.OpType}_{k}";
        }).ToList();
        var nodes = ctx.Nodes.Select((n, i) => new GraphNode(i, order[i], nodeNames[i], n.OpType, n.Domain, n.Input.ToList(), n.Output.ToList())).ToList();

        var opsets = model.Proto.OpsetImport.Select(o => new OpsetInfo(o.Domain, o.Version)).ToList();
        var operators = ctx.Nodes.GroupBy(n => (n.OpType, Domain: NormalizeDomain(n.Domain)))
            .Select(gr => new OperatorUsage(gr.Key.OpType, gr.Key.Domain, gr.Count(),
                opsets.Where(o => NormalizeDomain(o.Domain) == gr.Key.Domain).Select(o => o.Version).DefaultIfEmpty(0).Max()))
            .ToList();

        // why: every floating-point initializer is a parameter (weights, biases, PRelu slopes and also batch-norm
        // running statistics); integer initializers are shape constants and are counted separately.
        long parameters = 0, constants = 0;
        foreach (var t in graph.Initializer.GroupBy(t => t.Name).Select(x => x.Last()))
        {
            if (ElementTypes.IsFloating(t.DataType)) parameters += TensorData.ElementCount(t);
            else constants += TensorData.ElementCount(t);
        }

        var layers = LayerBuilder.Build(ctx, nodeNames, out var layerOfTensor);

        var input = dataInputs[0].Name;
        var output = graph.Output[0].Name;
        var relus = layers.Where(l => l.OpType == "Relu" && l.Kind == LayerKind.Activation)
            .Select(l => new ReluLayer(l.Index, l.Name, l.Label, l.Input, l.Output, l.OutputElementsPerSample)).ToList();
        var head = HeadFinder.Find(ctx, layers, layerOfTensor, output);
        var splits = SplitPointFinder.Find(ctx, layers, layerOfTensor, input, output, out var blocks);
        var initializers = graph.Initializer.Select(t => new InitializerInfo(t.Name, ElementTypes.Name(t.DataType), t.Dims.ToArray(), TensorData.ElementCount(t), ElementTypes.IsFloating(t.DataType))).ToList();

        var identity = new ModelIdentity(origin, model.Sha256, model.Proto.ProducerName, model.Proto.ProducerVersion, model.Proto.IrVersion, graph.Name,
            opsets, dataInputs.Select(Signature).ToList(), graph.Output.Select(Signature).ToList(),
            model.Proto.Domain, model.Proto.ModelVersion, model.Proto.DocString, graph.DocString,
            model.Proto.MetadataProps.Select(p => new MetadataEntry(p.Key, p.Value)).ToList());
        return new GraphAnalysis(identity, batch, input, output, nodes, operators, parameters, constants, layers, shapes, relus, head, splits, blocks, initializers);
    }

    private static string NormalizeDomain(string d) => d == "ai.onnx" ? "" : d;

    private static TensorSignature Signature(ValueInfoProto v)
    {
        var tt = v.Type?.TensorType;
        if (tt is null) return new TensorSignature(v.Name, "", []);
        var dims = tt.Shape?.Dim.Select(d => d.ValueCase switch
        {
            TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue => d.DimValue.ToString(System.Globalization.CultureInfo.InvariantCulture),
            TensorShapeProto.Types.Dimension.ValueOneofCase.DimParam => d.DimParam,
            _ => "?",
        }).ToList() ?? [];
        return new TensorSignature(v.Name, tt.ElemType != 0 ? ElementTypes.Name(tt.ElemType) : "", dims);
    }

    /// <summary>Refuses graphs the audits cannot run: a non-float data input, control flow (more than one data input is
    /// refused by the session owner, <c>Runtime.ModelSession</c>, since the analysis itself can measure such graphs).</summary>
    private static void CheckAuditable(global::Onnx.GraphProto graph, List<global::Onnx.ValueInfoProto> dataInputs, string origin)
    {
        var input = dataInputs[0];
        var type = input.Type?.TensorType?.ElemType ?? 0;
        if (type != (int)global::Onnx.TensorProto.Types.DataType.Float && type != 0)
            throw new ModelLoadException($"{origin}: data input '{Common.SafeText.Escape(input.Name, 40)}' has element type {(global::Onnx.TensorProto.Types.DataType)type}, but the audits feed float32 pixels; re-export the model with a float32 input (e.g. move the Cast from uint8 out of the model).");
        foreach (var n in graph.Node)
        {
            if (n.OpType is "If" or "Loop" or "Scan" && (n.Domain.Length == 0 || n.Domain == "ai.onnx"))
                throw new ModelLoadException($"{origin}: node '{Common.SafeText.Escape(n.Name, 60)}' is a {n.OpType} (control flow with a subgraph), which the graph analyzer does not support; export the classifier without control flow (e.g. torch.onnx.export of a traced model, or unroll the loop).");
        }
    }
}
