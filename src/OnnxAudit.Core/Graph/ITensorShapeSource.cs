using OnnxAudit.Onnx;
using Onnx;

namespace OnnxAudit.Graph;

/// <summary>Measures the shape of every graph input and node output of a model for the graph analyzer.</summary>
public interface ITensorShapeSource
{
    /// <summary>Shapes by tensor name. <paramref name="batchSize"/> is substituted for the first free dimension of each
    /// data input; <paramref name="batch"/> receives the batch size actually used (the model's fixed batch dimension when
    /// the primary input has one).</summary>
    /// <exception cref="Errors.ModelLoadException">The model cannot be run to measure its shapes.</exception>
    Dictionary<string, TensorShapeInfo> Measure(OnnxModel model, IReadOnlyList<ValueInfoProto> dataInputs, int batchSize, out int batch);
}
