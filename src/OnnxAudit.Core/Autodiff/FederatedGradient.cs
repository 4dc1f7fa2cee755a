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
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(dims);
        ArgumentNullException.ThrowIfNull(labels);
        var names = parameters ?? FloatInitializers(model);
        var n = (int)dims[0];
        var chunk = ChunkSize(model, n, ActivationBudgetBytes);
        // why: issue 17: the activations of the whole batch (vgg11_bn@224, batch 8: ~0.8 GB forward, more backward) need
        // not be live at once; the batch mean is the mean of the equal chunks' means, for the loss and every gradient. The
        // session sums the chunks' gradients in its own output buffers, which become the result (no copy).
        using var session = GradientSessions.Create(model, new GradientRequest(new SoftmaxCrossEntropyLoss(), names), options, accumulate: chunk < n);
        var per = batch.Length / Math.Max(n, 1);
        var chunkDims = (long[])dims.Clone();
        chunkDims[0] = chunk;
        double loss = 0;
        for (var start = 0; start < n; start += chunk)
        {
            if (start == 0) session.ClearAccumulated();
            var run = session.Run(batch.AsSpan(start * per, chunk * per), chunkDims, labels.AsSpan(start, chunk));
            loss += run.Loss;
        }
        var chunks = n / chunk;
        var outputs = session.Bindings.GradientOutputs;
        var arrays = new Dictionary<string, float[]>(StringComparer.Ordinal);
        var result = new List<ParameterGradient>(names.Count);
        foreach (var p in names)
        {
            if (!arrays.TryGetValue(p, out var values))
            {
                values = session.OutputArray(outputs.TryGetValue(p, out var o) ? o : p);
                if (chunks > 1) System.Numerics.Tensors.TensorPrimitives.Multiply(values, 1f / chunks, values);
                arrays[p] = values;
            }
            result.Add(new ParameterGradient(p, TensorData.Dims(model.FindInitializer(p)!), values));
        }
        return new FederatedGradientResult((float)(loss / chunks), result);
    }

    /// <summary>Activation memory a gradient run may use at once (the batch is split into equal chunks to stay within it).</summary>
    internal static long ActivationBudgetBytes => BudgetOverride.Value ?? (512L << 20);

    private static readonly AsyncLocal<long?> BudgetOverride = new();

    /// <summary>Sets <see cref="ActivationBudgetBytes"/> for the calling flow until the scope is disposed (tests).</summary>
    internal static IDisposable WithActivationBudget(long bytes)
    {
        var before = BudgetOverride.Value;
        BudgetOverride.Value = bytes;
        return new BudgetScope(() => BudgetOverride.Value = before);
    }

    private sealed class BudgetScope(Action undo) : IDisposable
    {
        public void Dispose() => undo();
    }

    /// <summary>The samples per gradient run: the largest divisor of <paramref name="n"/> whose forward activations, times
    /// three for the backward pass, fit <paramref name="budgetBytes"/> (at least 1); <paramref name="n"/> when the shapes
    /// cannot be derived statically.</summary>
    internal static int ChunkSize(OnnxModel model, int n, long budgetBytes)
    {
        if (n <= 1) return Math.Max(n, 1);
        var perSample = ForwardBytesPerSample(model);
        var fit = perSample <= 0 ? n : (int)Math.Clamp(budgetBytes / (3 * perSample), 1, n);
        while (n % fit != 0) fit--;
        return fit;
    }

    /// <summary>Samples per forward run for <paramref name="model"/>: <paramref name="requested"/>, lowered so that the
    /// sum of all forward activations stays within <see cref="ActivationBudgetBytes"/> (at least 1).</summary>
    // why: issue 17: the exclusivity masks and the accuracy pass ran 200 images of vgg11_bn@224 in one call (4.2 GB).
    public static int ForwardChunk(OnnxModel model, int requested)
    {
        ArgumentNullException.ThrowIfNull(model);
        var perSample = ForwardBytesPerSample(model);
        return perSample <= 0 ? requested : (int)Math.Clamp(ActivationBudgetBytes / perSample, 1, Math.Max(requested, 1));
    }

    /// <summary>Bytes of all batched float tensors of one sample in a forward pass (static shapes), or 0 when the shapes
    /// cannot be derived statically.</summary>
    internal static long ForwardBytesPerSample(OnnxModel model)
    {
        try
        {
            var shapes = ShapeInference.Infer(model.Graph, model.DefaultOpset, new ConstantTable(model.Graph));
            long perSample = 0;
            foreach (var s in shapes.Values)
            {
                // the static pass writes the symbolic batch as −1 (a folded multiple k·N as −k)
                if (s.Length == 0 || s[0] >= 0) continue;
                var elements = -s[0];
                for (var a = 1; a < s.Length; a++) elements *= Math.Max(s[a], 1);
                perSample += elements * sizeof(float);
            }
            return perSample;
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or IndexOutOfRangeException or OverflowException or KeyNotFoundException or GradientBuildException or NotSupportedException)
        {
            return 0;
        }
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
