namespace OnnxAudit.Graph;

/// <summary>Finds the fully-connected classifier head g of f = g∘Φ.</summary>
internal static class HeadFinder
{
    // why: Pan et al. (§4) count the ReLU layers of the fully-connected part that follows the feature extractor.
    // The head is what is reached walking back from the output over layers that keep a flat feature vector
    // (Linear, elementwise activations, Dropout, Identity, Softmax); the first other layer (Flatten, Reshape,
    // pooling, convolution, a skip Add) ends it and its output is Φ's output.
    private static readonly HashSet<LayerKind> HeadKinds = [LayerKind.Linear, LayerKind.Activation, LayerKind.Dropout, LayerKind.Identity, LayerKind.Softmax];

    public static ClassifierHead? Find(GraphContext ctx, IReadOnlyList<Layer> layers, Dictionary<string, int> layerOfTensor, string output)
    {
        var chain = new List<int>();
        var tensor = output;
        while (layerOfTensor.TryGetValue(tensor, out var li) && HeadKinds.Contains(layers[li].Kind) && !chain.Contains(li))
        {
            chain.Add(li);
            tensor = layers[li].Input;
        }
        chain.Reverse();
        var linears = chain.Select(i => layers[i]).Where(l => l.Kind == LayerKind.Linear).ToList();
        if (linears.Count == 0) return null;
        var input = layers[chain[0]].Input;
        var relus = chain.Select(i => layers[i]).Where(l => l.OpType == "Relu")
            .Select(l => new ReluLayer(l.Index, l.Name, l.Label, l.Input, l.Output, l.OutputElementsPerSample)).ToList();
        return new ClassifierHead(input, ctx.ElementsPerSample(input), chain, linears, relus);
    }
}
