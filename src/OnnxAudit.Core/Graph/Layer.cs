namespace OnnxAudit.Graph;

/// <summary>One layer: a node, or a MatMul + Add pair merged into one linear layer.</summary>
/// <param name="Index">Position in <see cref="GraphAnalysis.Layers"/> (execution order).</param>
/// <param name="Name">Name of the (first) node, or a generated one such as "Conv_0".</param>
/// <param name="Label">Short display name: the module path of a PyTorch export ("/conv1/Conv" → "conv1"), else <paramref name="Name"/>.</param>
/// <param name="Kind">Classification.</param>
/// <param name="OpType">Operator type of the (first) node ("MatMul" for a merged MatMul + Add).</param>
/// <param name="NodeNames">The node(s) forming the layer, in execution order.</param>
/// <param name="Input">The data input (first input that depends on the graph input; else the first input).</param>
/// <param name="Output">The output tensor (of the last node).</param>
/// <param name="OutputElementsPerSample">Elements per sample of <paramref name="Output"/> at the analysis batch size.</param>
/// <param name="ParameterNames">Non-integer initializers the layer reads (weights, biases, slopes, norm statistics).</param>
/// <param name="ParameterCount">Total elements of <paramref name="ParameterNames"/>.</param>
/// <param name="Linear">Set when <paramref name="Kind"/> is Linear.</param>
/// <param name="Conv">Set when <paramref name="Kind"/> is Convolution.</param>
/// <param name="Pool">Set when <paramref name="Kind"/> is Pooling.</param>
/// <param name="Activation">Set when <paramref name="Kind"/> is Activation.</param>
public sealed record Layer(
    int Index,
    string Name,
    string Label,
    LayerKind Kind,
    string OpType,
    IReadOnlyList<string> NodeNames,
    string Input,
    string Output,
    long OutputElementsPerSample,
    IReadOnlyList<string> ParameterNames,
    long ParameterCount,
    LinearInfo? Linear = null,
    ConvInfo? Conv = null,
    PoolInfo? Pool = null,
    ActivationInfo? Activation = null);
