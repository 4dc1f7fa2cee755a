using OnnxAudit.Runtime;

namespace OnnxAudit.Graph;

/// <summary>Options of <see cref="GraphAnalyzer.Analyze"/>.</summary>
public sealed record GraphAnalysisOptions
{
    /// <summary>Batch size substituted for the first symbolic dimension of each graph input when tensor shapes are
    /// measured (ignored when the batch dimension is fixed in the model). Must be ≥ 1.</summary>
    public int BatchSize { get; init; } = 1;

    /// <summary>How the ONNX Runtime session that measures tensor shapes is created.</summary>
    public RuntimeOptions RuntimeOptions { get; init; } = RuntimeOptions.Default;

    /// <summary>Batch size 1 on the CPU.</summary>
    public static GraphAnalysisOptions Default { get; } = new();
}
