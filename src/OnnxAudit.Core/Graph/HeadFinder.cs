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
        return new ClassifierHead(input, ctx.ElementsPerSample(input), chain, linears, relus, Features(ctx, layers, layerOfTensor, input));
    }

    // why: issue 17 — the head of a CNN reads pooled feature maps, a ViT's reads the class token (Gather of token 0,
    // before or after the final LayerNorm). Walking back from the head input over reshapes, normalisations and
    // Dropout names what Φ hands to g, for the report and for checking that a ViT's head was found.
    private static string Features(GraphContext ctx, IReadOnlyList<Layer> layers, Dictionary<string, int> layerOfTensor, string input)
    {
        var passed = new List<string>();
        var tensor = input;
        for (var hop = 0; hop < 8; hop++)
        {
            if (!layerOfTensor.TryGetValue(tensor, out var li))
            {
                passed.Reverse();
                return string.Join(" → ", passed.Prepend("the model input"));
            }
            var l = layers[li];
            if (l.Kind is LayerKind.Reshape or LayerKind.Normalization or LayerKind.Dropout)
            {
                passed.Add($"{l.OpType} '{l.Label}'");
                tensor = l.Input;
                continue;
            }
            var what = l.OpType switch
            {
                "GlobalAveragePool" or "ReduceMean" or "AveragePool" => $"average pooling '{l.Label}'",
                "GlobalMaxPool" or "ReduceMax" or "MaxPool" => $"max pooling '{l.Label}'",
                "Gather" when IsClassToken(ctx, l) => $"the class token (Gather '{l.Label}' of token 0)",
                _ => $"{l.OpType} '{l.Label}'",
            };
            passed.Reverse();
            return passed.Count == 0 ? what : what + " → " + string.Join(" → ", passed);
        }
        return $"tensor '{input}'";
    }

    private static bool IsClassToken(GraphContext ctx, Layer gather)
    {
        if (!ctx.Producer.TryGetValue(gather.Output, out var p)) return false;
        var node = ctx.Nodes[p];
        var axis = Onnx.NodeAttributes.Int(node, "axis", 0);
        var rank = ctx.Dims(node.Input[0])?.Count ?? 0;
        if (axis < 0) axis += rank;
        return node.Input.Count > 1 && axis == 1 && rank == 3 && ctx.ConstScalar(node.Input[1]) == 0;
    }
}
