namespace OnnxAudit.Graph;

/// <summary>
/// The trailing fully-connected part g of the classifier f = g∘Φ: the layers reached walking back from the graph
/// output over Linear layers, elementwise activations, Dropout, Identity and Softmax.
/// </summary>
/// <param name="InputTensor">The head's input = Φ's output (for a plain fully-connected net, the flattened image).</param>
/// <param name="InputWidth">Elements per sample of <paramref name="InputTensor"/>.</param>
/// <param name="LayerIndices">All layers of the head, in execution order (indices into <see cref="GraphAnalysis.Layers"/>).</param>
/// <param name="Linears">The head's linear layers, in execution order.</param>
/// <param name="Relus">The head's Relu layers in execution order: i = 1 … H of Pan et al.</param>
/// <param name="Features">What feeds the head, walking back over reshapes and normalisations: "average pooling
/// 'avgpool' → Flatten 'flatten'" for a CNN, "the class token (Gather 'Gather_4' of token 0)" for a ViT.</param>
public sealed record ClassifierHead(string InputTensor, long InputWidth, IReadOnlyList<int> LayerIndices, IReadOnlyList<Layer> Linears, IReadOnlyList<ReluLayer> Relus, string Features = "")
{
    /// <summary>Widths along the head: the input width, then each linear layer's output width.</summary>
    public IReadOnlyList<long> Widths => [InputWidth, .. Linears.Select(l => l.Linear!.OutFeatures)];

    /// <summary>H: the number of Relu layers in the head.</summary>
    public int ReluCount => Relus.Count;

    /// <summary>d_1: width of the head's first Relu layer, or null when the head has no Relu.</summary>
    public long? D1 => Relus.Count > 0 ? Relus[0].Width : null;
}
