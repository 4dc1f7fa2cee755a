using OnnxAudit.Graph;
using OnnxAudit.Onnx;

namespace OnnxAudit.Runtime;

/// <summary>The graph analysis with tensor shapes measured by ONNX Runtime (<see cref="ShapeProbe"/>).</summary>
public static class ModelAnalysis
{
    /// <summary>Analyzes <paramref name="model"/>; runs ONNX Runtime once on a dummy batch of
    /// <see cref="GraphAnalysisOptions.BatchSize"/> samples (default 1) to measure every tensor's shape.</summary>
    /// <exception cref="Errors.ModelLoadException">The graph is malformed or ONNX Runtime cannot run it.</exception>
    public static GraphAnalysis Analyze(OnnxModel model, GraphAnalysisOptions? options = null, RuntimeOptions? runtime = null) =>
        GraphAnalyzer.Analyze(model, (options ?? GraphAnalysisOptions.Default) with { Shapes = new ShapeProbe(runtime ?? RuntimeOptions.Default) });
}
