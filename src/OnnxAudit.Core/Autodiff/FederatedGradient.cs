using OnnxAudit.Onnx;
using Onnx;
using OnnxAudit.Runtime;

namespace OnnxAudit.Autodiff;

/// <summary>The batch-averaged gradient of one parameter.</summary>
/// <param name="Name">Initializer name.</param>
/// <param name="Dims">Parameter shape.</param>
/// <param name="Values">Gradient, row-major, float32.</param>
public sealed record ParameterGradient(string Name, long[] Dims, float[] Values);

/// <summary>The update a federated client would share for one batch: mean cross-entropy loss and its gradient w.r.t.
/// every float initializer (parameters in graph order).</summary>
/// <param name="Loss">Mean softmax cross-entropy over the batch.</param>
/// <param name="Parameters">One entry per float initializer.</param>
public sealed record FederatedGradientResult(float Loss, IReadOnlyList<ParameterGradient> Parameters);

/// <summary>Computes the averaged gradient a federated-learning client sends (library entry point of <c>onnx-audit gradient</c>).</summary>
public static class FederatedGradient
{
    /// <summary>
    /// Mean cross-entropy (PyTorch <c>CrossEntropyLoss</c>) of <paramref name="model"/> on one batch and its gradient
    /// w.r.t. every float initializer. <paramref name="batch"/> is float32 NCHW with shape <paramref name="dims"/>;
    /// <paramref name="labels"/> has one class index per sample.
    /// </summary>
    public static FederatedGradientResult Compute(OnnxModel model, float[] batch, long[] dims, long[] labels, RuntimeOptions? options = null) =>
        ComputeFor(model, batch, dims, labels, options, null);

    /// <summary>As <see cref="Compute(OnnxModel, float[], long[], long[], RuntimeOptions?)"/> for the listed parameters only
    /// (null = every float initializer).</summary>
    public static FederatedGradientResult ComputeFor(OnnxModel model, float[] batch, long[] dims, long[] labels, RuntimeOptions? options, IReadOnlyList<string>? parameters)
    {
        ArgumentNullException.ThrowIfNull(model);
        var names = parameters ?? FloatInitializers(model);
        using var session = GradientSessions.Create(model, new GradientRequest(new SoftmaxCrossEntropyLoss(), names), options);
        var run = session.Run(batch, dims, labels);
        var grads = names.Select(n => new ParameterGradient(n, TensorData.Dims(model.FindInitializer(n)!), run.Gradient(n).ToArray())).ToList();
        return new FederatedGradientResult(run.Loss, grads);
    }

    /// <summary>Names of the float initializers consumed by some node, in initializer order; the constants of the
    /// tool's own input prefix (normalisation, byte scaling) are not parameters of the model and are left out.</summary>
    public static IReadOnlyList<string> FloatInitializers(OnnxModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var used = model.Graph.Node.SelectMany(n => n.Input).ToHashSet(StringComparer.Ordinal);
        return model.Graph.Initializer
            .Where(t => (TensorProto.Types.DataType)t.DataType == TensorProto.Types.DataType.Float && used.Contains(t.Name)
                && !t.Name.StartsWith(ModelEditor.PreprocessPrefix, StringComparison.Ordinal))
            .Select(t => t.Name).ToList();
    }

    /// <summary>The float initializers a training step updates: <see cref="FloatInitializers"/> without the running mean and
    /// variance of BatchNormalization nodes (inputs 3 and 4), which PyTorch keeps as buffers, not parameters.</summary>
    public static IReadOnlyList<string> TrainableParameters(OnnxModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var buffers = model.Graph.Node.Where(n => n.OpType == "BatchNormalization")
            .SelectMany(n => n.Input.Skip(3).Take(2)).ToHashSet(StringComparer.Ordinal);
        return FloatInitializers(model).Where(n => !buffers.Contains(n)).ToList();
    }
}
