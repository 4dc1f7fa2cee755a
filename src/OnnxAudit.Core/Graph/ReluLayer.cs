namespace OnnxAudit.Graph;

/// <summary>A Relu node and its width.</summary>
/// <param name="LayerIndex">Index into <see cref="GraphAnalysis.Layers"/>.</param>
/// <param name="Name">Layer name.</param>
/// <param name="Label">Layer display label.</param>
/// <param name="Input">Input tensor.</param>
/// <param name="Output">Output tensor (the activation pattern is read here).</param>
/// <param name="Width">Elements per sample of the output (neurons).</param>
public sealed record ReluLayer(int LayerIndex, string Name, string Label, string Input, string Output, long Width);
