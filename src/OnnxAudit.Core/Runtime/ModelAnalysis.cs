using OnnxAudit.Graph;
using OnnxAudit.Onnx;

namespace OnnxAudit.Runtime;

/// <summary>The graph analysis with tensor shapes measured by ONNX Runtime (<see cref="ShapeProbe"/>).</summary>
public static class ModelAnalysis
{
    /// <summary>Analyzes <paramref name="model"/>; runs ONNX Runtime once on a dummy batch of
    /// <see cref="GraphAnalysisOptions.BatchSize"/> samples (default 1) to measure every tensor's shape.</summary>
    /// <exception cref="Errors.ModelLoadException">The graph is malformed or ONNX Runtime cannot run it.</exception>
    /// <remarks>Sparse initializers are turned into dense ones in <paramref name="model"/> first (same values; the
    /// importer keeps them sparse so that a loaded model writes back byte-equal).</remarks>
    public static GraphAnalysis Analyze(OnnxModel model, GraphAnalysisOptions? options = null, RuntimeOptions? runtime = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        SparseInitializers.Densify(model.Proto, model.Origin);
        return GraphAnalyzer.Analyze(model, (options ?? GraphAnalysisOptions.Default) with { Shapes = new ShapeProbe(runtime ?? RuntimeOptions.Default) });
    }
}
