namespace OnnxAudit.Graph;

/// <summary>
/// A stretch of the graph between two consecutive split points (or the input / the output): the unit a split point
/// closes. In a chain it is one layer; in a residual, inception, dense or shuffle unit it is the whole unit.
/// </summary>
/// <param name="Name">Display name: the PyTorch module the layers share ("layer2.0", "features.3",
/// "encoder.layers.encoder_layer_0"), else the label of the layer that produces <paramref name="OutputTensor"/>.</param>
/// <param name="Kind">How the paths inside it join: "layer" (one layer), "chain" (several layers, one path),
/// "residual" (an Add or Sum joins paths), "concat" (a Concat joins them), "gated" (a Mul joins them, e.g.
/// squeeze-and-excitation) or "dag" (another join).</param>
/// <param name="InputTensor">The split point (or graph input) the block starts from.</param>
/// <param name="OutputTensor">The split point (or graph output) that closes it.</param>
/// <param name="LayerIndices">Its layers in execution order (indices into <see cref="GraphAnalysis.Layers"/>).</param>
/// <param name="ParameterCount">Parameters of those layers.</param>
public sealed record GraphBlock(string Name, string Kind, string InputTensor, string OutputTensor, IReadOnlyList<int> LayerIndices, long ParameterCount);
