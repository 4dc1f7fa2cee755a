using OnnxAudit.Onnx;
using OnnxAudit.Runtime;

namespace OnnxAudit.Autodiff;

/// <summary>Builds a gradient-matching (second-order) graph and opens a <see cref="GradientMatchingSession"/> over it.</summary>
public static class GradientMatchingSessions
{
    /// <summary>Builds the matching model of <paramref name="model"/> for <paramref name="request"/> and creates its session.
    /// The caller disposes the session.</summary>
    /// <exception cref="GradientBuildException">The model cannot be differentiated twice.</exception>
    public static GradientMatchingSession Create(OnnxModel model, GradientMatchingRequest request, RuntimeOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(request);
        var parameters = request.Parameters ?? FederatedGradient.FloatInitializers(model);
        var matching = GradientMatchingGraphBuilder.Build(model, request with { Parameters = parameters });
        var input = ModelEditor.DataInputs(model).FirstOrDefault()
            ?? throw new GradientBuildException($"{model.Origin}: the model has no data input; re-export the model with its image input.");
        var vi = model.Graph.Input.First(v => v.Name == input);
        var dims = vi.Type.TensorType.Shape.Dim.Select(d => d.ValueCase == global::Onnx.TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue ? d.DimValue : -1L).ToArray();
        return new GradientMatchingSession(matching, input, dims, (GradientNames.Labels, GradientNames.Loss, GradientNames.Gradient(input), GradientMatchingGraphBuilder.Distance),
            [.. parameters.Select(p => (p, GradientMatchingGraphBuilder.Target(p), TensorData.Dims(model.FindInitializer(p)!)))], options);
    }
}
