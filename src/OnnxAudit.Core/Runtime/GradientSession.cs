using Microsoft.ML.OnnxRuntime;
using OnnxAudit.Onnx;
using Onnx;

namespace OnnxAudit.Runtime;

/// <summary>
/// Computes loss and gradients for batches with one ONNX Runtime session over a gradient model built once beforehand
/// (by <c>Autodiff.GradientGraphBuilder</c>). Inputs and outputs are bound (IoBinding) to pinned buffers owned by this
/// object, one set per batch size for the last <see cref="CachedBatchSizes"/> sizes used (so alternating batch sizes,
/// e.g. training and held-out batches, allocate nothing after the first call of each). Parameter arrays passed to <see cref="Run"/> are bound themselves, not copied: a
/// training loop that updates them in place between runs costs no copy per step. Loops that own their input can write it
/// straight into the bound buffer (<see cref="InputBuffer"/>, <see cref="TargetBuffer"/>, <see cref="RunBound"/>).
/// On CUDA ONNX Runtime copies a bound host input to the device when it is bound, not when the graph runs, so the
/// inputs that can change are re-bound before every run there (the model's own weights stay on the device; outputs are
/// copied into the pinned host buffers once per run). Not thread-safe: one call at a time. Dispose to release the
/// native session.
/// </summary>
public sealed class GradientSession : IDisposable
{
    private readonly InferenceSession _session;
    private readonly OrtIoBinding _binding;
    private readonly RunOptions _runOptions;
    private readonly string _inputName;
    private readonly string? _labelsName;
    private readonly string? _targetName;
    private readonly Dictionary<string, long[]> _outputDims = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long[]> _inputDims = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Buffer> _params = new(StringComparer.Ordinal);
    private readonly WeightFeeds? _feeds;
    private readonly Dictionary<string, string> _accumulators = new(StringComparer.Ordinal);
    private readonly Dictionary<long, BatchBuffers> _batches = [];
    private readonly bool _uploadEachRun;
    private BatchBuffers? _current;
    private bool _disposed;

    /// <summary>Creates the session over a gradient model built beforehand (see <c>Autodiff.GradientSessions.Create</c>).</summary>
    /// <param name="gradientModel">The gradient model (not modified; kept for inspection).</param>
    /// <param name="bindings">Its input and output names and the parameter values fed as inputs.</param>
    /// <param name="options">Device and threads; null = <see cref="RuntimeOptions.Default"/>.</param>
    /// <param name="accumulate">Each run adds the parameter gradients to the previous run's instead of overwriting them
    /// (the graph adds its gradient to the output buffer, bound as an input too); <see cref="ClearAccumulated"/> zeroes
    /// them. The input's gradient, the loss and other outputs are per run.</param>
    /// <exception cref="Errors.ModelLoadException">ONNX Runtime cannot load the gradient model.</exception>
    public GradientSession(OnnxModel gradientModel, GradientBindings bindings, RuntimeOptions? options = null, bool accumulate = false)
    {
        ArgumentNullException.ThrowIfNull(gradientModel);
        ArgumentNullException.ThrowIfNull(bindings);
        GradientModel = gradientModel;
        Bindings = bindings;
        options ??= RuntimeOptions.Default;
        Options = options;
        _uploadEachRun = options.UploadsBoundInputs;
        var g = GradientModel.Graph;
        var initializers = g.Initializer.Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
        _labelsName = bindings.LabelsInput;
        _targetName = bindings.TargetInput;
        foreach (var vi in g.Input.Where(v => !initializers.Contains(v.Name))) _inputDims[vi.Name] = Dims(vi);
        _inputName = bindings.DataInput;
        foreach (var vo in g.Output) _outputDims[vo.Name] = Dims(vo);
        foreach (var (name, values, dims) in bindings.ParameterInputs) _params[name] = new Buffer(values, dims);
        try
        {
            (var toLoad, _feeds) = WeightFeeds.Split(accumulate ? WithAccumulators(GradientModel, bindings, _accumulators) : GradientModel);
            _session = SessionFactory.Create(toLoad.ToBytes(), options, gradientModel.Origin, lowMemory: _feeds is not null);
        }
        catch
        {
            _feeds?.Dispose();
            foreach (var b in _params.Values) b.Dispose();
            throw;
        }
        try
        {
            _binding = _session.CreateIoBinding();
            _runOptions = new RunOptions();
            BindParameterInputs();
        }
        catch
        {
            _binding?.Dispose();
            _session.Dispose();
            _feeds?.Dispose();
            foreach (var b in _params.Values) b.Dispose();
            throw;
        }
        Result = new GradientRun(this);
    }

    /// <summary>The gradient model (for inspection or saving).</summary>
    public OnnxModel GradientModel { get; }

    /// <summary>The device and threads it was created with.</summary>
    internal RuntimeOptions Options { get; }

    /// <summary>The names this session binds.</summary>
    public GradientBindings Bindings { get; }

    /// <summary>The name of the data input (float NCHW).</summary>
    public string InputName => _inputName;

    /// <summary>The view returned by <see cref="Run"/>; its spans are overwritten by the next call.</summary>
    public GradientRun Result { get; }

    /// <summary>
    /// Runs one batch. <paramref name="input"/> is float32 with shape <paramref name="dims"/> (dims[0] = batch size).
    /// <paramref name="labels"/> (int64, one per sample) is required for the cross-entropy loss, <paramref name="target"/>
    /// (shape of the matched tensor with this batch size) for the squared-error loss. <paramref name="parameters"/> sets
    /// parameter values when the session feeds them as inputs (<see cref="GradientBindings.ParameterInputs"/>): the arrays
    /// themselves are bound (no copy), and every later run reads their current contents until other arrays are passed
    /// for those names — update them in place between runs to train. Returns <see cref="Result"/>, valid until the next call.
    /// </summary>
    public GradientRun Run(ReadOnlySpan<float> input, ReadOnlySpan<long> dims, ReadOnlySpan<long> labels = default,
        ReadOnlySpan<float> target = default, IReadOnlyDictionary<string, float[]>? parameters = null)
    {
        var x = InputBuffer(dims);
        if (input.Length != x.Length)
            throw new ArgumentException($"input has {input.Length} values, expected {x.Length} for shape [{string.Join(", ", _current!.Input.Dims)}]", nameof(input));
        input.CopyTo(x);
        var b = _current!;
        if (b.Labels is not null)
        {
            if (labels.Length != b.Batch) throw new ArgumentException($"labels has {labels.Length} values, expected {b.Batch}", nameof(labels));
            labels.CopyTo(b.Labels.Data);
        }
        if (b.Target is not null)
        {
            if (target.Length != b.Target.Data.Length) throw new ArgumentException($"target has {target.Length} values, expected {b.Target.Data.Length}", nameof(target));
            target.CopyTo(b.Target.Data);
        }
        if (parameters is not null) BindParameters(parameters);
        return RunBound();
    }

    /// <summary>The pinned, bound input buffer for a batch of shape <paramref name="dims"/> (allocated and bound on the
    /// first use of this batch size): write the input here and call <see cref="RunBound"/>. Valid until the session is
    /// disposed or <see cref="CachedBatchSizes"/> other batch sizes have been used since; other batch sizes have their own.</summary>
    public Span<float> InputBuffer(ReadOnlySpan<long> dims)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (dims.Length == 0) throw new ArgumentException("dims must include the batch dimension", nameof(dims));
        var batch = dims[0];
        if (_current is null || _current.Batch != batch) Select(batch, dims.ToArray());
        else if (!dims.SequenceEqual(_current.Input.Dims))
            throw new ArgumentException($"input shape [{string.Join(", ", dims.ToArray())}] differs from [{string.Join(", ", _current.Input.Dims)}] bound for batch {batch}", nameof(dims));
        return _current!.Input.Data;
    }

    /// <summary>The bound target buffer of the squared-error loss for the batch size of the latest
    /// <see cref="InputBuffer"/> call (empty without a target input). It keeps its contents across runs.</summary>
    public Span<float> TargetBuffer => _current?.Target is { } t ? t.Data : [];

    /// <summary>The bound labels buffer of the cross-entropy loss for the current batch size (empty without labels).</summary>
    public Span<long> LabelsBuffer => _current?.Labels is { } l ? l.Data : [];

    /// <summary>Runs the graph on the bound buffers as they are (after <see cref="InputBuffer"/>). Returns
    /// <see cref="Result"/>, valid until the next call.</summary>
    public GradientRun RunBound()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var b = _current ?? throw new InvalidOperationException("call InputBuffer (or Run) first: no batch is bound");
        if (_uploadEachRun)
        {
            // why: on CUDA a bound host input is copied to the device when it is bound, so changed values must be re-bound.
            _binding.BindInput(_inputName, b.Input.Value);
            if (b.Labels is not null) _binding.BindInput(_labelsName!, b.Labels.Value);
            if (b.Target is not null) _binding.BindInput(_targetName!, b.Target.Value);
            foreach (var (name, buf) in _params) _binding.BindInput(name, buf.Value);
            foreach (var (output, accumulated) in _accumulators) _binding.BindInput(accumulated, b.Outputs[output].Value);
        }
        try
        {
            _session.RunWithBinding(_runOptions, _binding);
        }
        catch (OnnxRuntimeException ex)
        {
            throw ModelSession.Wrap(ex, GradientModel.Origin, _inputName, b.Input.Dims, _outputDims.Keys);
        }
        return Result;
    }

    /// <summary>Binds parameter arrays (see <see cref="Run"/>: the arrays themselves, read at every later run) for the
    /// session's parameter inputs (<see cref="GradientBindings.ParameterInputs"/>).</summary>
    /// <exception cref="ArgumentException">A name is not a parameter input or an array has the wrong length.</exception>
    public void BindParameters(IReadOnlyDictionary<string, float[]> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ObjectDisposedException.ThrowIf(_disposed, this);
        foreach (var (name, values) in parameters)
        {
            if (!_params.TryGetValue(name, out var buf))
                throw new ArgumentException($"'{name}' is not a parameter input of this gradient session (build with ParametersAsInputs and list it in WithRespectTo)", nameof(parameters));
            if (ReferenceEquals(values, buf.Data)) continue;
            if (values.Length != buf.Data.Length) throw new ArgumentException($"parameter '{name}' has {values.Length} values, expected {buf.Data.Length}", nameof(parameters));
            var adopted = Buffer.Adopt(values, buf.Dims);
            try
            {
                _binding.BindInput(name, adopted.Value);
            }
            catch
            {
                adopted.Dispose();
                throw;
            }
            buf.Dispose();
            _params[name] = adopted;
        }
    }

    /// <summary>Buffer sets kept for batch sizes not in use (least recently used dropped first): training plus held-out
    /// batches need two; a loop over many batch sizes must not keep one output set (all parameter gradients) per size.</summary>
    internal const int CachedBatchSizes = 3;

    private long _tick;

    private void Select(long batch, long[] inputDims)
    {
        if (!_batches.TryGetValue(batch, out var b))
        {
            while (_batches.Count >= CachedBatchSizes)
            {
                var oldest = _batches.Values.MinBy(v => v.LastUsed)!;
                _batches.Remove(oldest.Batch);
                oldest.Dispose();
            }
            var declared = _inputDims[_inputName];
            if (declared.Length != inputDims.Length)
                throw new ArgumentException($"input rank {inputDims.Length} does not match the model's input '{_inputName}' of rank {declared.Length}");
            b = new BatchBuffers(batch, new Buffer(new float[inputDims.Aggregate(1L, (x, y) => x * y)], inputDims));
            try
            {
                if (_labelsName is not null) b.Labels = new LongBuffer(new long[batch], [batch]);
                if (_targetName is not null)
                {
                    var td = Resolve(_inputDims[_targetName], batch);
                    b.Target = new Buffer(new float[td.Aggregate(1L, (x, y) => x * y)], td);
                }
                foreach (var (name, dims) in _outputDims)
                {
                    var d = Resolve(dims, batch);
                    b.Outputs[name] = new Buffer(new float[d.Aggregate(1L, (x, y) => x * y)], d);
                }
            }
            catch
            {
                b.Dispose();
                throw;
            }
            _batches[batch] = b;
        }
        else if (!inputDims.SequenceEqual(b.Input.Dims))
        {
            throw new ArgumentException($"input shape [{string.Join(", ", inputDims)}] differs from [{string.Join(", ", b.Input.Dims)}] bound for batch {batch}");
        }
        _binding.ClearBoundInputs();
        _binding.ClearBoundOutputs();
        _binding.BindInput(_inputName, b.Input.Value);
        if (b.Labels is not null) _binding.BindInput(_labelsName!, b.Labels.Value);
        if (b.Target is not null) _binding.BindInput(_targetName!, b.Target.Value);
        BindParameterInputs();
        foreach (var (name, buf) in b.Outputs)
        {
            _binding.BindOutput(name, buf.Value);
            if (_accumulators.TryGetValue(name, out var accumulated)) _binding.BindInput(accumulated, buf.Value);
        }
        b.LastUsed = ++_tick;
        _current = b;
    }

    /// <summary>A copy of <paramref name="model"/> in which every parameter gradient output X is Add(X/accumulated, X′),
    /// X′ being the gradient as computed, and X/accumulated a new graph input (recorded in <paramref name="accumulators"/>).</summary>
    // why: issue 17: summing chunk gradients outside the graph needs a second buffer per parameter (vgg11_bn: 515 MB);
    // binding the output buffer as the Add's first input lets ONNX Runtime accumulate in place (Add may run in place on
    // input 0, so its kernels allow the output to alias that input).
    private static OnnxModel WithAccumulators(OnnxModel model, GradientBindings bindings, Dictionary<string, string> accumulators)
    {
        var copy = model.Clone();
        var g = copy.Graph;
        var outputs = g.Output.ToDictionary(o => o.Name, StringComparer.Ordinal);
        foreach (var (tensor, output) in bindings.GradientOutputs)
        {
            if (tensor == bindings.DataInput || !outputs.TryGetValue(output, out var vo) || accumulators.ContainsKey(output)) continue;
            var producer = g.Node.FirstOrDefault(n => n.Output.Contains(output));
            if (producer is null) continue;
            var accumulated = output + "/accumulated";
            if (producer.OpType == "Gemm" && producer.Input.Count == 2 && producer.Domain is "" or "ai.onnx" && g.Output.Count(o => o.Name == output) == 1
                && !g.Node.Any(n => n.Input.Contains(output)))
            {
                // why: a weight gradient computed as a separate tensor and then added would need its size again
                // (vgg11_bn's 411 MB classifier weight); Gemm adds β·C itself (C copied into Y first, so C may alias Y).
                producer.Input.Add(accumulated);
                var beta = producer.Attribute.FirstOrDefault(a => a.Name == "beta");
                if (beta is null) producer.Attribute.Add(new AttributeProto { Name = "beta", Type = AttributeProto.Types.AttributeType.Float, F = 1f });
                else beta.F = 1f;
                g.Input.Add(new ValueInfoProto { Name = accumulated, Type = vo.Type.Clone() });
                accumulators[output] = accumulated;
                continue;
            }
            var computed = output + "/computed";
            foreach (var n in g.Node)
            {
                for (var i = 0; i < n.Output.Count; i++) if (n.Output[i] == output) n.Output[i] = computed;
                for (var i = 0; i < n.Input.Count; i++) if (n.Input[i] == output) n.Input[i] = computed;
            }
            g.Node.Add(new global::Onnx.NodeProto { OpType = "Add", Name = output + "/accumulate", Input = { accumulated, computed }, Output = { output } });
            g.Input.Add(new ValueInfoProto { Name = accumulated, Type = vo.Type.Clone() });
            accumulators[output] = accumulated;
        }
        return copy;
    }

    /// <summary>Zeroes the accumulated parameter gradients (a session created with accumulate).</summary>
    public void ClearAccumulated()
    {
        foreach (var set in _batches.Values)
            foreach (var output in _accumulators.Keys)
                if (set.Outputs.TryGetValue(output, out var b)) Array.Clear(b.Data);
    }

    /// <summary>The array behind output <paramref name="name"/> (overwritten by the next run; still valid, as a plain
    /// array, after the session is disposed).</summary>
    internal float[] OutputArray(string name) => Output(name).Data;

    private void BindParameterInputs()
    {
        foreach (var (name, buf) in _params) _binding.BindInput(name, buf.Value);
        if (_feeds is null) return;
        for (var i = 0; i < _feeds.Names.Count; i++) _binding.BindInput(_feeds.Names[i], _feeds.Values[i]);
    }

    private static long[] Resolve(long[] dims, long batch) => dims.Select(d => d < 0 ? batch : d).ToArray();

    private static long[] Dims(ValueInfoProto v) =>
        v.Type?.TensorType?.Shape is { } s
            ? s.Dim.Select(d => d.ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue ? d.DimValue : -1L).ToArray()
            : throw new InvalidOperationException($"gradient output '{v.Name}' has no static shape");

    internal (float[] Data, long[] Dims) Output(string name) =>
        _current is not null && _current.Outputs.TryGetValue(name, out var b) ? (b.Data, b.Dims)
            : throw new KeyNotFoundException(_current is null ? "no run yet: call Run first"
                : $"'{name}' is not an output of this gradient session; outputs are [{string.Join(", ", _outputDims.Keys)}]");

    internal IEnumerable<string> OutputNames => _outputDims.Keys;

    /// <inheritdoc />
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _binding.Dispose();
        _runOptions.Dispose();
        foreach (var b in _batches.Values) b.Dispose();
        foreach (var b in _params.Values) b.Dispose();
        _session.Dispose();
        _feeds?.Dispose();
    }

    /// <summary>The buffers bound for one batch size.</summary>
    private sealed class BatchBuffers(long batch, Buffer input) : IDisposable
    {
        public long Batch { get; } = batch;
        public Buffer Input { get; } = input;
        public LongBuffer? Labels { get; set; }
        public Buffer? Target { get; set; }
        public Dictionary<string, Buffer> Outputs { get; } = new(StringComparer.Ordinal);
        public long LastUsed { get; set; }

        public void Dispose()
        {
            Input.Dispose();
            Labels?.Dispose();
            Target?.Dispose();
            foreach (var b in Outputs.Values) b.Dispose();
        }
    }

    private sealed class Buffer : IDisposable
    {
        public Buffer(float[] init, long[] dims)
            : this(CopyPinned(init), dims, 0)
        {
        }

        private Buffer(float[] data, long[] dims, int _)
        {
            Data = data;
            Dims = dims;
            // why: a plain (unpinned) array is pinned by the OrtValue's memory handle for as long as it is bound.
            Value = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, new Memory<float>(Data), dims);
        }

        /// <summary>Binds the caller's array itself (no copy).</summary>
        public static Buffer Adopt(float[] data, long[] dims) => new(data, dims, 0);

        private static float[] CopyPinned(float[] init)
        {
            var data = GC.AllocateArray<float>(init.Length, pinned: true);
            init.CopyTo(data, 0);
            return data;
        }

        public float[] Data { get; }
        public long[] Dims { get; }
        public OrtValue Value { get; }
        public void Dispose() => Value.Dispose();
    }

    private sealed class LongBuffer : IDisposable
    {
        public LongBuffer(long[] init, long[] dims)
        {
            Data = GC.AllocateArray<long>(init.Length, pinned: true);
            Value = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, new Memory<long>(Data), dims);
        }

        public long[] Data { get; }
        public OrtValue Value { get; }
        public void Dispose() => Value.Dispose();
    }
}
