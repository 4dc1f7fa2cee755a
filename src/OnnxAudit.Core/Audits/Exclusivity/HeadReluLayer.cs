namespace OnnxAudit.Audits.Exclusivity;

/// <summary>
/// One ReLU layer of the classifier head g (f = g∘Φ), numbered i = 1…H from the head's input
/// (Pan et al. §3: D_i(X) = diag(1{layer-i ReLU output &gt; 0})).
/// </summary>
/// <param name="Index">i, 1-based position among the head's ReLU layers.</param>
/// <param name="OutputName">Name of the graph tensor holding the ReLU output, shape [batch, Width].</param>
/// <param name="Width">Number of neurons d_i.</param>
/// <param name="IsLinear">True when the layer has no ReLU (after exclusivity reduction, Corollary 1): every
/// neuron counts as activated by every sample, so it never has an ExAN once the batch holds two samples.</param>
public sealed record HeadReluLayer(int Index, string OutputName, int Width, bool IsLinear = false);

/// <summary>Builds the layer list from the graph analysis.</summary>
public static class HeadReluLayers
{
    /// <summary>The head's ReLU layers i = 1…H of <paramref name="head"/> (from <c>GraphAnalyzer.Analyze</c>).</summary>
    public static IReadOnlyList<HeadReluLayer> From(Graph.ClassifierHead head)
    {
        ArgumentNullException.ThrowIfNull(head);
        return [.. head.Relus.Select((r, i) => new HeadReluLayer(i + 1, r.Output, checked((int)r.Width)))];
    }
}
