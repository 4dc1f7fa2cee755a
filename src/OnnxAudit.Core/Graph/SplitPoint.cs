namespace OnnxAudit.Graph;

/// <summary>A tensor through which every data path from the graph input to the graph output passes: the model
/// can be split there into a prefix f1 (input → tensor) and a suffix f2 (tensor → output).</summary>
/// <param name="Tensor">Tensor name.</param>
/// <param name="Shape">Its shape at the analysis batch size.</param>
/// <param name="ElementsPerSample">Elements per sample.</param>
/// <param name="Compression">Input elements per sample / <paramref name="ElementsPerSample"/> (&gt; 1 means smaller than the input; 0 for an empty tensor).</param>
/// <param name="ProducerLayerIndex">The layer whose output it is.</param>
/// <param name="ProducerLabel">That layer's display label.</param>
/// <param name="PrefixLayerIndices">Layers that f1 runs (ancestors of the tensor that depend on the input), in execution order.</param>
/// <param name="Description">Labels of the prefix layers joined by " → ", e.g. "conv1 → relu → maxpool".</param>
/// <param name="Block">Name of the block the tensor closes (<see cref="GraphBlock.Name"/>): "layer2.0" for a ResNet
/// block output, the layer's label in a chain.</param>
public sealed record SplitPoint(string Tensor, IReadOnlyList<long> Shape, long ElementsPerSample, double Compression, int ProducerLayerIndex, string ProducerLabel, IReadOnlyList<int> PrefixLayerIndices, string Description, string Block = "");
