using OnnxAudit.Onnx;
using OnnxAudit.Runtime;

namespace OnnxAudit.Autodiff;

/// <summary>Builds a gradient graph for a request and opens a <see cref="GradientSession"/> over it.</summary>
public static class GradientSessions
{
    /// <summary>Builds the gradient model of <paramref name="model"/> for <paramref name="request"/> and creates its session.
    /// The caller disposes the session.</summary>
    /// <exception cref="GradientBuildException">The request cannot be differentiated.</exception>
    /// <exception cref="Errors.ModelLoadException">ONNX Runtime cannot load the gradient model.</exception>
    public static GradientSession Create(OnnxModel model, GradientRequest request, RuntimeOptions? options = null) =>
        Create(model, request, options, accumulate: false);

    /// <summary>As <see cref="Create(OnnxModel, GradientRequest, RuntimeOptions?)"/>; with <paramref name="accumulate"/> each run
    /// adds its parameter gradients to the previous ones (see <see cref="GradientSession(OnnxModel, GradientBindings, RuntimeOptions?, bool)"/>).</summary>
    public static GradientSession Create(OnnxModel model, GradientRequest request, RuntimeOptions? options, bool accumulate)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(request);
        var gradientModel = GradientGraphBuilder.Build(model, request);
        return new GradientSession(gradientModel, Bindings(model, request), options, accumulate);
    }

    /// <summary>The names the gradient model of <paramref name="request"/> uses, and the parameter inputs' initial values.</summary>
    public static GradientBindings Bindings(OnnxModel model, GradientRequest request)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(request);
        var input = ModelEditor.DataInputs(model).FirstOrDefault()
            ?? throw new GradientBuildException($"{model.Origin}: the model has no data input; re-export the model with its image input.");
        var parameters = new List<(string, float[], long[])>();
        if (request.ParametersAsInputs)
        {
            foreach (var name in request.WithRespectTo)
                if (model.FindInitializer(name) is { } t)
                    parameters.Add((name, TensorData.ToFloats(t), TensorData.Dims(t)));
        }
        if (request.TotalVariationAsInput)
            parameters.Add((GradientNames.TotalVariationWeight, [(float)request.TotalVariationWeight], []));
        return new GradientBindings(input, (request.Loss as SoftmaxCrossEntropyLoss)?.LabelsInput, (request.Loss as SquaredErrorLoss)?.TargetInput,
            GradientNames.Loss, request.WithRespectTo.Distinct().ToDictionary(n => n, GradientNames.Gradient, StringComparer.Ordinal), parameters);
    }
}
