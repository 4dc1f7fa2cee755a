namespace OnnxAudit.Graph;

/// <summary>Options of <see cref="GraphAnalyzer.Analyze"/>.</summary>
public sealed record GraphAnalysisOptions
{
    /// <summary>Batch size substituted for the first symbolic dimension of each graph input when tensor shapes are
    /// measured (ignored when the batch dimension is fixed in the model). Must be ≥ 1.</summary>
    public int BatchSize { get; init; } = 1;

    /// <summary>Measures every tensor's shape (e.g. <c>Runtime.ShapeProbe</c>, which runs ONNX Runtime once). Required.</summary>
    public ITensorShapeSource? Shapes { get; init; }

    /// <summary>Batch size 1, no shape source (set <see cref="Shapes"/>).</summary>
    public static GraphAnalysisOptions Default { get; } = new();
}
