using Microsoft.ML.OnnxRuntime;
using OnnxAudit.Errors;
using OnnxAudit.Onnx;

namespace OnnxAudit.Runtime;

/// <summary>
/// The one owner of an ONNX Runtime inference session over a model with one float data input: the session, its run
/// options and the names it reads. Runs data in chunks along the batch axis and turns every ONNX Runtime failure into an
/// <see cref="OnnxAuditException"/> naming the model, the input shape and the outputs. Not thread-safe: one run at a
/// time. Dispose to release the native session.
/// </summary>
public sealed class ModelSession : IDisposable
{
    private readonly InferenceSession _session;
    private readonly RunOptions _runOptions;
    private readonly string[] _outputs;
    private readonly WeightFeeds? _feeds;
    private readonly string[] _inputNames;
    private bool _disposed;

    /// <summary>Creates the session.</summary>
    /// <param name="model">The model (not modified; intermediate tensors are exposed on a copy).</param>
    /// <param name="runtime">Device and threads; null = <see cref="RuntimeOptions.Default"/>.</param>
    /// <param name="outputs">The tensors each run returns, in this order: graph outputs or intermediate tensors.
    /// Null = the model's first graph output.</param>
    /// <exception cref="ModelLoadException">The model has no data input, a tensor is not produced by any node, or ONNX
    /// Runtime cannot load the model.</exception>
    public ModelSession(OnnxModel model, RuntimeOptions? runtime = null, IReadOnlyList<string>? outputs = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        Origin = model.Origin;
        InputName = ModelEditor.DataInput(model);
        var inputs = ModelEditor.DataInputs(model);
        if (inputs.Count > 1)
            throw new ModelLoadException($"{model.Origin}: the graph has {inputs.Count} data inputs ({string.Join(", ", inputs.Take(4).Select(i => $"'{Common.SafeText.Escape(i, 40)}'"))}); onnx-audit audits image classifiers with one image input — re-export the model with the other inputs folded into constants (or as initializers).");
        _outputs = outputs is null ? [model.Graph.Output[0].Name] : [.. outputs];
        var exposed = _outputs.Any(o => model.Graph.Output.All(g => g.Name != o)) ? ModelEditor.ExposeOutputs(model, _outputs) : model;
        var (toLoad, feeds) = WeightFeeds.Split(exposed);
        _feeds = feeds;
        _inputNames = feeds is null ? [InputName] : [InputName, .. feeds.Names];
        try
        {
            _session = SessionFactory.Create(toLoad.ToBytes(), runtime ?? RuntimeOptions.Default, model.Origin, lowMemory: feeds is not null);
        }
        catch
        {
            _feeds?.Dispose();
            throw;
        }
        try
        {
            _runOptions = new RunOptions();
        }
        catch
        {
            _session.Dispose();
            _feeds?.Dispose();
            throw;
        }
    }

    /// <summary>The model's origin (used in messages).</summary>
    public string Origin { get; }

    /// <summary>The data input's name.</summary>
    public string InputName { get; }

    /// <summary>The tensors each run returns, in order.</summary>
    public IReadOnlyList<string> OutputNames => _outputs;

    /// <summary>The ONNX Runtime version string reported by the native library.</summary>
    public static string OrtVersion => SessionFactory.OrtVersion;

    /// <summary>Checks that <paramref name="runtime"/>'s execution provider can be created (e.g. CUDA) before any work.</summary>
    /// <exception cref="OnnxAuditException">The provider cannot be loaded.</exception>
    public static void CheckDevice(RuntimeOptions runtime)
    {
        using (SessionFactory.CreateSessionOptions(runtime)) { }
    }

    /// <summary>Receives one chunk's outputs; the arrays belong to the sink after the call.</summary>
    /// <param name="start">Index of the chunk's first sample.</param>
    /// <param name="count">Samples in the chunk.</param>
    /// <param name="outputs">One array per <see cref="OutputNames"/> entry, row-major, count samples.</param>
    public delegate void ChunkSink(int start, int count, float[][] outputs);

    /// <summary>
    /// Runs <paramref name="input"/> (float32, row-major, shape <paramref name="dims"/> with dims[0] samples) in chunks
    /// of <paramref name="chunk"/> samples and calls <paramref name="sink"/> once per chunk.
    /// </summary>
    /// <exception cref="OnnxAuditException">ONNX Runtime rejected the input or failed while running.</exception>
    public void Run(float[] input, long[] dims, int chunk, ChunkSink sink)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(dims);
        ArgumentNullException.ThrowIfNull(sink);
        ObjectDisposedException.ThrowIf(_disposed, this);
        var n = (int)dims[0];
        var per = input.Length / Math.Max(1, n);
        for (var start = 0; start < n; start += chunk)
        {
            var count = Math.Min(chunk, n - start);
            var shape = (long[])dims.Clone();
            shape[0] = count;
            using var x = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, input.AsMemory(start * per, count * per), shape);
            IDisposableReadOnlyCollection<OrtValue> results;
            try
            {
                results = _session.Run(_runOptions, _inputNames, Inputs(x), _outputs);
            }
            catch (OnnxRuntimeException ex)
            {
                throw Failure(ex, shape);
            }
            using (results)
            {
                var arrays = new float[results.Count][];
                for (var k = 0; k < results.Count; k++) arrays[k] = results[k].GetTensorDataAsSpan<float>().ToArray();
                sink(start, count, arrays);
            }
        }
    }

    /// <summary>Runs <paramref name="input"/> (shape <paramref name="dims"/>, dims[0] samples) in chunks and returns the
    /// first output for all samples concatenated (a new array) and its per-sample shape (without the batch axis).</summary>
    /// <exception cref="OnnxAuditException">ONNX Runtime rejected the input or failed while running.</exception>
    public (float[] Data, long[] SampleDims) RunAll(float[] input, long[] dims, int chunk = 256)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(dims);
        ObjectDisposedException.ThrowIf(_disposed, this);
        var n = (int)dims[0];
        var per = input.Length / Math.Max(1, n);
        float[]? result = null;
        long[] sampleDims = [];
        for (var start = 0; start < n; start += chunk)
        {
            var count = Math.Min(chunk, n - start);
            var shape = (long[])dims.Clone();
            shape[0] = count;
            using var x = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, input.AsMemory(start * per, count * per), shape);
            IDisposableReadOnlyCollection<OrtValue> outputs;
            try
            {
                outputs = _session.Run(_runOptions, _inputNames, Inputs(x), [_outputs[0]]);
            }
            catch (OnnxRuntimeException ex)
            {
                throw Failure(ex, shape);
            }
            using (outputs)
            {
                var y = outputs[0].GetTensorDataAsSpan<float>();
                var yPer = y.Length / count;
                result ??= new float[(long)yPer * n];
                sampleDims = outputs[0].GetTensorTypeAndShape().Shape[1..];
                y.CopyTo(result.AsSpan(start * yPer, count * yPer));
            }
        }
        return (result ?? [], sampleDims);
    }

    private OrtValue[] Inputs(OrtValue x) => _feeds is null ? [x] : [x, .. _feeds.Values];

    private OnnxAuditException Failure(OnnxRuntimeException ex, long[] shape) => Wrap(ex, Origin, InputName, shape, _outputs);

    internal static OnnxAuditException Wrap(OnnxRuntimeException ex, string origin, string input, long[] shape, IEnumerable<string> outputs) =>
        new($"{origin}: ONNX Runtime failed to run the model with input '{input}' of shape [{string.Join(", ", shape)}] computing [{string.Join(", ", outputs.Take(6).Select(o => Common.SafeText.Escape(o, 60)))}] ({SessionFactory.Explain(ex.Message)}); check that the data fits the model's input and that the model runs in ONNX Runtime.", ex);

    /// <inheritdoc />
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _runOptions.Dispose();
        _session.Dispose();
        _feeds?.Dispose();
    }
}
