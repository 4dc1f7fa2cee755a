using Microsoft.ML.OnnxRuntime;
using OnnxAudit.Onnx;

namespace OnnxAudit.Runtime;

/// <summary>
/// Runs a gradient-matching (second-order) graph built by <c>GradientMatchingGraphBuilder</c>: for a dummy batch
/// x and labels y it returns the matching loss and its exact gradient w.r.t. x. The observed gradients are set once with
/// <see cref="SetTargets"/>. Buffers are pinned and bound (IoBinding), re-allocated when the batch size changes; a loop
/// that owns its dummy batch keeps it in the bound buffer (<see cref="InputBuffer"/>, <see cref="RunBound"/>,
/// <see cref="GradientBuffer"/>) and copies nothing per iteration. On CUDA (which copies a bound host input to the
/// device when it is bound) the dummy batch and labels are re-bound before every run, the targets once per
/// <see cref="SetTargets"/>. Not thread-safe. Dispose to release the native session.
/// </summary>
public sealed class GradientMatchingSession : IDisposable
{
    private readonly InferenceSession _session;
    private readonly OrtIoBinding _binding;
    private readonly RunOptions _runOptions = new();
    private readonly long[] _inputDims;
    private readonly Dictionary<string, Pinned<float>> _targets = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _targetInputs = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long[]> _targetDims = new(StringComparer.Ordinal);
    private readonly (string Labels, string Loss, string InputGradient, string Distance) _names;
    private Pinned<float>? _x, _loss, _distance, _grad;
    private Pinned<long>? _labels;
    private long _batch = -1;
    private readonly bool _uploadEachRun;
    private bool _disposed;

    /// <summary>Opens a session over a matching model built by <c>GradientMatchingGraphBuilder</c> (see
    /// <c>GradientMatchingSessions.Create</c>).</summary>
    /// <param name="matchingModel">The second-order model.</param>
    /// <param name="inputName">Its data input.</param>
    /// <param name="inputDims">The data input's declared shape (batch dimension −1).</param>
    /// <param name="names">Names of the labels input, the loss, input-gradient and distance outputs.</param>
    /// <param name="parameters">Matched parameters with their target-input names and shapes, in target order.</param>
    /// <param name="options">Device and threads.</param>
    public GradientMatchingSession(OnnxModel matchingModel, string inputName, long[] inputDims, (string Labels, string Loss, string InputGradient, string Distance) names,
        IReadOnlyList<(string Name, string TargetInput, long[] Dims)> parameters, RuntimeOptions? options = null)
    {
        _names = names;
        ArgumentNullException.ThrowIfNull(matchingModel);
        ArgumentNullException.ThrowIfNull(parameters);
        MatchingModel = matchingModel;
        InputName = inputName;
        _inputDims = inputDims;
        Parameters = [.. parameters.Select(p => p.Name)];
        options ??= RuntimeOptions.Default;
        _uploadEachRun = options.UploadsBoundInputs;
        Options = options;
        _session = SessionFactory.Create(MatchingModel.ToBytes(), options, matchingModel.Origin);
        try
        {
            _binding = _session.CreateIoBinding();
            foreach (var (p, target, dims) in parameters)
            {
                var buf = new Pinned<float>(dims);
                _targets[p] = buf;
                _targetInputs[p] = target;
                _targetDims[p] = dims;
                _binding.BindInput(target, buf.Value);
            }
        }
        catch
        {
            foreach (var b in _targets.Values) b.Dispose();
            _session.Dispose();
            throw;
        }
    }

    /// <summary>The device and threads it was created with.</summary>
    internal RuntimeOptions Options { get; }

    /// <summary>The second-order model (for inspection or saving).</summary>
    public OnnxModel MatchingModel { get; }

    /// <summary>The parameters whose gradients are matched, in order.</summary>
    public IReadOnlyList<string> Parameters { get; }

    /// <summary>The data input name.</summary>
    public string InputName { get; }

    /// <summary>Sets the observed gradients (one array per entry of <see cref="Parameters"/>, parameter shape, row-major).</summary>
    public void SetTargets(IReadOnlyList<float[]> gradients)
    {
        ArgumentNullException.ThrowIfNull(gradients);
        if (gradients.Count != Parameters.Count) throw new ArgumentException($"expected {Parameters.Count} target gradients, got {gradients.Count}", nameof(gradients));
        for (var i = 0; i < Parameters.Count; i++)
        {
            var buf = _targets[Parameters[i]];
            if (gradients[i].Length != buf.Data.Length) throw new ArgumentException($"target gradient of '{Parameters[i]}' has {gradients[i].Length} values, expected {buf.Data.Length}", nameof(gradients));
            gradients[i].CopyTo(buf.Data, 0);
            if (_uploadEachRun) _binding.BindInput(_targetInputs[Parameters[i]], buf.Value);
        }
    }

    /// <summary>Runs the graph for dummy input <paramref name="x"/> (NCHW, batch <paramref name="batch"/>) and labels.
    /// Returns the matching loss; <paramref name="gradient"/> (same length as x) receives d loss / dx.</summary>
    public float Run(ReadOnlySpan<float> x, int batch, ReadOnlySpan<long> labels, Span<float> gradient)
    {
        var bound = InputBuffer(batch);
        if (x.Length != bound.Length) throw new ArgumentException($"input has {x.Length} values, expected {bound.Length}", nameof(x));
        if (labels.Length != batch) throw new ArgumentException($"labels has {labels.Length} values, expected {batch}", nameof(labels));
        x.CopyTo(bound);
        labels.CopyTo(_labels!.Data);
        var loss = RunBound();
        _grad!.Data.CopyTo(gradient);
        return loss;
    }

    /// <summary>The pinned, bound dummy-batch buffer for <paramref name="batch"/> samples (re-allocated when the batch
    /// size changes): write x here, the labels into <see cref="LabelsBuffer"/>, then call <see cref="RunBound"/>.</summary>
    public Span<float> InputBuffer(int batch)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (batch != _batch) Rebind(batch);
        return _x!.Data;
    }

    /// <summary>The bound labels buffer of the current batch size (after <see cref="InputBuffer"/>).</summary>
    public Span<long> LabelsBuffer => _labels is { } l ? l.Data : [];

    /// <summary>d loss / dx of the latest <see cref="RunBound"/>: the session's output buffer, overwritten by the next run.</summary>
    public ReadOnlySpan<float> GradientBuffer => _grad is { } g ? g.Data : [];

    /// <summary>Runs the graph on the bound buffers as they are and returns the matching loss.</summary>
    public float RunBound()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_x is null) throw new InvalidOperationException("call InputBuffer (or Run) first: no batch is bound");
        if (_uploadEachRun)
        {
            // why: on CUDA a bound host input is copied to the device when it is bound, so changed values must be re-bound.
            _binding.BindInput(InputName, _x.Value);
            _binding.BindInput(_names.Labels, _labels!.Value);
        }
        _session.RunWithBinding(_runOptions, _binding);
        return _loss!.Data[0];
    }

    /// <summary>The matching model's names as <see cref="GradientBindings"/> for an <see cref="AdamStepSession"/> over
    /// <see cref="MatchingModel"/>: the dummy batch is the data input, the labels input, the loss and d loss/dx, and the
    /// target inputs as parameter inputs holding the observed gradients of the latest <see cref="SetTargets"/>.</summary>
    internal GradientBindings StepBindings() =>
        new(InputName, _names.Labels, null, _names.Loss,
            new Dictionary<string, string>(StringComparer.Ordinal) { [InputName] = _names.InputGradient },
            [.. Parameters.Select(p => (_targetInputs[p], _targets[p].Data.ToArray(), (long[])_targetDims[p].Clone()))]);

    /// <summary>The observed gradients of the latest <see cref="SetTargets"/>, by target input name.</summary>
    internal Dictionary<string, float[]> TargetsByInput() =>
        Parameters.ToDictionary(p => _targetInputs[p], p => _targets[p].Data, StringComparer.Ordinal);

    /// <summary>The distance term (without TV) of the latest <see cref="Run"/>.</summary>
    public float LastDistance => _distance?.Data[0] ?? float.NaN;

    private void Rebind(int batch)
    {
        _binding.ClearBoundInputs();
        _binding.ClearBoundOutputs();
        _x?.Dispose(); _labels?.Dispose(); _loss?.Dispose(); _grad?.Dispose(); _distance?.Dispose();
        var dims = _inputDims.Select((d, i) => i == 0 ? batch : d).ToArray();
        _x = new Pinned<float>(dims);
        _grad = new Pinned<float>(dims);
        _labels = new Pinned<long>([batch]);
        _loss = new Pinned<float>([]);
        _distance = new Pinned<float>([]);
        _binding.BindInput(InputName, _x.Value);
        _binding.BindInput(_names.Labels, _labels.Value);
        foreach (var p in Parameters) _binding.BindInput(_targetInputs[p], _targets[p].Value);
        _binding.BindOutput(_names.Loss, _loss.Value);
        _binding.BindOutput(_names.InputGradient, _grad.Value);
        _binding.BindOutput(_names.Distance, _distance.Value);
        _batch = batch;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _binding.Dispose();
        _runOptions.Dispose();
        _x?.Dispose(); _labels?.Dispose(); _loss?.Dispose(); _grad?.Dispose(); _distance?.Dispose();
        foreach (var b in _targets.Values) b.Dispose();
        _session.Dispose();
    }

    private sealed class Pinned<T> : IDisposable where T : unmanaged
    {
        public Pinned(long[] dims)
        {
            Data = GC.AllocateArray<T>((int)dims.Aggregate(1L, (a, b) => a * b), pinned: true);
            Value = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, new Memory<T>(Data), dims);
        }

        public T[] Data { get; }
        public OrtValue Value { get; }
        public void Dispose() => Value.Dispose();
    }
}
