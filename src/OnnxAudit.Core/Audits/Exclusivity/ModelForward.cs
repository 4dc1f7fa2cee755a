using Microsoft.ML.OnnxRuntime;
using OnnxAudit.Errors;
using OnnxAudit.Onnx;
using Onnx;
using OnnxAudit.Runtime;

namespace OnnxAudit.Audits.Exclusivity;

/// <summary>
/// Runs a model over a dataset in chunks with intermediate tensors exposed as extra graph outputs.
/// Owns its session; dispose it.
/// </summary>
internal sealed class ModelForward : IDisposable
{
    private readonly InferenceSession _session;
    private readonly RunOptions _runOptions = new();
    private readonly string _inputName;
    private readonly string[] _outputs;

    /// <summary>Creates a session for <paramref name="model"/> that returns <paramref name="outputs"/> (graph outputs or intermediate tensors).</summary>
    public ModelForward(OnnxModel model, IReadOnlyList<string> outputs, RuntimeOptions? runtime)
    {
        var clone = model.Clone();
        var graph = clone.Graph;
        var initializers = graph.Initializer.Select(t => t.Name).ToHashSet();
        var inputs = graph.Input.Where(i => !initializers.Contains(i.Name)).ToList();
        if (inputs.Count != 1)
            throw new ModelLoadException($"{model.Origin}: the model has {inputs.Count} data inputs, expected 1 image input; export the classifier with a single input.");
        _inputName = inputs[0].Name;
        var produced = graph.Node.SelectMany(n => n.Output).ToHashSet();
        foreach (var name in outputs)
        {
            if (graph.Output.Any(o => o.Name == name)) continue;
            if (!produced.Contains(name))
                throw new ModelLoadException($"{model.Origin}: tensor '{name}' is not produced by any node; pass a ReLU output name of the classifier head (see `onnx-audit inspect`).");
            graph.Output.Add(new ValueInfoProto
            {
                Name = name,
                Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float } },
            });
        }
        _outputs = [.. outputs];
        _session = SessionFactory.Create(clone.ToBytes(), runtime ?? RuntimeOptions.Default, model.Origin);
    }

    /// <summary>
    /// Runs over <paramref name="images"/> (float32 NCHW, <paramref name="dims"/>[0] samples) in chunks of
    /// <paramref name="chunk"/>; calls <paramref name="sink"/>(start, count, outputs) per chunk. The spans are valid only
    /// during the call.
    /// </summary>
    public void Run(float[] images, long[] dims, int chunk, ChunkSink sink)
    {
        var n = (int)dims[0];
        var per = (int)(images.Length / Math.Max(1, n));
        for (var start = 0; start < n; start += chunk)
        {
            var count = Math.Min(chunk, n - start);
            var shape = (long[])dims.Clone();
            shape[0] = count;
            using var input = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, images.AsMemory(start * per, count * per), shape);
            using var results = _session.Run(_runOptions, [_inputName], [input], _outputs);
            var spans = new float[results.Count][];
            for (var k = 0; k < results.Count; k++) spans[k] = results[k].GetTensorDataAsSpan<float>().ToArray();
            sink(start, count, spans);
        }
    }

    /// <summary>Receives one chunk's outputs (arrays owned by the sink after the call).</summary>
    public delegate void ChunkSink(int start, int count, float[][] outputs);

    /// <inheritdoc />
    public void Dispose()
    {
        _session.Dispose();
        _runOptions.Dispose();
    }
}
