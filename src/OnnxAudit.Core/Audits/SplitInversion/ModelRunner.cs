using Microsoft.ML.OnnxRuntime;
using OnnxAudit.Errors;
using OnnxAudit.Onnx;
using OnnxAudit.Runtime;

namespace OnnxAudit.Audits.SplitInversion;

/// <summary>
/// Forward passes of a model with one data input and one (first) output, in chunks. Owns its ONNX Runtime session;
/// dispose it. Not thread-safe.
/// </summary>
internal sealed class ModelRunner : IDisposable
{
    private readonly InferenceSession _session;
    private readonly RunOptions _runOptions = new();
    private readonly string _input;
    private readonly string _output;

    /// <summary>Creates the session. <paramref name="output"/> = null takes the model's first output.</summary>
    public ModelRunner(OnnxModel model, RuntimeOptions? runtime = null, string? output = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        var inits = model.Graph.Initializer.Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
        _input = model.Graph.Input.Select(v => v.Name).FirstOrDefault(n => !inits.Contains(n))
            ?? throw new ModelLoadException($"{model.Origin}: the model has no data input.");
        _output = output ?? model.Graph.Output[0].Name;
        _session = SessionFactory.Create(model.ToBytes(), runtime ?? RuntimeOptions.Default, model.Origin);
    }

    /// <summary>Runs <paramref name="input"/> (row-major, dims[0] = samples) and returns the output for all samples
    /// concatenated (a new array) and its per-sample shape (without the batch dimension).</summary>
    public (float[] Data, long[] SampleDims) Run(float[] input, long[] dims, int chunk = 256)
    {
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
            using var outputs = _session.Run(_runOptions, [_input], [x], [_output]);
            var y = outputs[0].GetTensorDataAsSpan<float>();
            var ydims = outputs[0].GetTensorTypeAndShape().Shape;
            var yPer = y.Length / count;
            result ??= new float[(long)yPer * n];
            sampleDims = ydims[1..];
            y.CopyTo(result.AsSpan(start * yPer, count * yPer));
        }
        return (result ?? [], sampleDims);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _session.Dispose();
        _runOptions.Dispose();
    }
}
