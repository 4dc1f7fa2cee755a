namespace OnnxAudit.Graph;

/// <summary>Everything the graph analyzer finds out about a model. Immutable.</summary>
/// <param name="Identity">File hash, producer, IR version, opsets, inputs and outputs.</param>
/// <param name="BatchSize">The batch size the shapes were measured at (the requested one, or the model's fixed batch dimension).</param>
/// <param name="InputTensor">The primary data input (first non-initializer graph input).</param>
/// <param name="OutputTensor">The primary output (first graph output).</param>
/// <param name="Nodes">Nodes in topological order (the file order when that is already topological).</param>
/// <param name="Operators">Operator inventory, in order of first occurrence.</param>
/// <param name="ParameterCount">Elements of all non-integer initializers (weights, biases, norm statistics).</param>
/// <param name="ConstantElementCount">Elements of integer/bool initializers (shape constants, indices), not counted as parameters.</param>
/// <param name="Layers">Layers in execution order: the nodes that compute on activations. Constant nodes, what is
/// computed from constants alone (e.g. a Transpose of a weight), shape arithmetic (Shape/Size and what is computed from
/// them) and Identity nodes are not layers; <paramref name="Nodes"/> lists every node.</param>
/// <param name="Tensors">Measured shape of every graph input and node output, by name.</param>
/// <param name="ReluLayers">Every Relu layer in execution order with its width.</param>
/// <param name="Head">The fully-connected classifier head, or null when the output is not produced by a linear layer chain.</param>
/// <param name="SplitPoints">Candidate split points in execution order (the input and output excluded).</param>
/// <param name="Blocks">The blocks between consecutive split points, input to output (the last one ends at the output).</param>
/// <param name="Initializers">Every initializer with its element type and shape, in file order.</param>
public sealed record GraphAnalysis(
    ModelIdentity Identity,
    int BatchSize,
    string InputTensor,
    string OutputTensor,
    IReadOnlyList<GraphNode> Nodes,
    IReadOnlyList<OperatorUsage> Operators,
    long ParameterCount,
    long ConstantElementCount,
    IReadOnlyList<Layer> Layers,
    IReadOnlyDictionary<string, TensorShapeInfo> Tensors,
    IReadOnlyList<ReluLayer> ReluLayers,
    ClassifierHead? Head,
    IReadOnlyList<SplitPoint> SplitPoints,
    IReadOnlyList<GraphBlock>? Blocks = null,
    IReadOnlyList<InitializerInfo>? Initializers = null)
{
    /// <summary>How image batches are shaped for the primary input (its measured rank).</summary>
    public InputLayout InputLayout => new(Tensors[InputTensor].Shape.Count);

    /// <summary>Elements per sample of the primary input.</summary>
    public long InputElementsPerSample => Tensors[InputTensor].ElementsPerSample;

    /// <summary>The layer with the given name (or label), or null.</summary>
    public Layer? FindLayer(string nameOrLabel) => Layers.FirstOrDefault(l => l.Name == nameOrLabel) ?? Layers.FirstOrDefault(l => l.Label == nameOrLabel);
}
