using Microsoft.ML.OnnxRuntime;
using OnnxAudit.Onnx;
using Onnx;

namespace OnnxAudit.Runtime;

/// <summary>
/// Computes loss and gradients for batches with one ONNX Runtime session over a gradient model built once beforehand
/// (by <c>Autodiff.GradientGraphBuilder</c>). Inputs and outputs are bound (IoBinding) to pinned buffers owned by this object;
/// they are re-allocated only when the batch size changes. Not thread-safe: one call at a time. Dispose to release the
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
    private readonly Dictionary<string, Buffer> _outputs = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Buffer> _params = new(StringComparer.Ordinal);
    private readonly WeightFeeds? _feeds;
    private readonly Dictionary<string, string> _accumulators = new(StringComparer.Ordinal);
    private Buffer? _input;
    private LongBuffer? _labels;
    private Buffer? _target;
    private long _batch = -1;
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
            _session = SessionFactory.Create(toLoad.ToBytes(), options ?? RuntimeOptions.Default, gradientModel.Origin, lowMemory: _feeds is not null);
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
            BindParameters();
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

    /// <summary>The names this session binds.</summary>
    public GradientBindings Bindings { get; }

    /// <summary>The name of the data input (float NCHW).</summary>
    public string InputName => _inputName;

    /// <summary>The view returned by <see cref="Run"/>; its spans are overwritten by the next call.</summary>
    public GradientRun Result { get; }

    /// <summary>
    /// Runs one batch. <paramref name="input"/> is float32 with shape <paramref name="dims"/> (dims[0] = batch size).
    /// <paramref name="labels"/> (int64, one per sample) is required for the cross-entropy loss, <paramref name="target"/>
    /// (shape of the matched tensor with this batch size) for the squared-error loss. <paramref name="parameters"/> overrides
    /// parameter values when the session feeds them as inputs (<see cref="GradientBindings.ParameterInputs"/>) (values persist
    /// for later calls). Returns <see cref="Result"/>, valid until the next call.
    /// </summary>
    public GradientRun Run(ReadOnlySpan<float> input, ReadOnlySpan<long> dims, ReadOnlySpan<long> labels = default,
        ReadOnlySpan<float> target = default, IReadOnlyDictionary<string, float[]>? parameters = null)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (dims.Length == 0) throw new ArgumentException("dims must include the batch dimension", nameof(dims));
        var batch = dims[0];
        if (batch != _batch) Rebind(batch, dims.ToArray());
        if (input.Length != _input!.Data.Length)
            throw new ArgumentException($"input has {input.Length} values, expected {_input.Data.Length} for shape [{string.Join(", ", _input.Dims)}]", nameof(input));
        input.CopyTo(_input.Data);
        if (_labels is not null)
        {
            if (labels.Length != batch) throw new ArgumentException($"labels has {labels.Length} values, expected {batch}", nameof(labels));
            labels.CopyTo(_labels.Data);
        }
        if (_target is not null)
        {
            if (target.Length != _target.Data.Length) throw new ArgumentException($"target has {target.Length} values, expected {_target.Data.Length}", nameof(target));
            target.CopyTo(_target.Data);
        }
        if (parameters is not null)
        {
            foreach (var (name, values) in parameters)
            {
                if (!_params.TryGetValue(name, out var buf))
                    throw new ArgumentException($"'{name}' is not a parameter input of this gradient session (build with ParametersAsInputs and list it in WithRespectTo)", nameof(parameters));
                if (values.Length != buf.Data.Length) throw new ArgumentException($"parameter '{name}' has {values.Length} values, expected {buf.Data.Length}", nameof(parameters));
                values.CopyTo(buf.Data, 0);
            }
        }
        try
        {
            _session.RunWithBinding(_runOptions, _binding);
        }
        catch (OnnxRuntimeException ex)
        {
            throw ModelSession.Wrap(ex, GradientModel.Origin, _inputName, _input.Dims, _outputDims.Keys);
        }
        return Result;
    }

    private void Rebind(long batch, long[] inputDims)
    {
        _binding.ClearBoundInputs();
        _binding.ClearBoundOutputs();
        _input?.Dispose();
        _labels?.Dispose();
        _target?.Dispose();
        foreach (var b in _outputs.Values) b.Dispose();
        _outputs.Clear();
        var declared = _inputDims[_inputName];
        if (declared.Length != inputDims.Length)
            throw new ArgumentException($"input rank {inputDims.Length} does not match the model's input '{_inputName}' of rank {declared.Length}");
        _input = new Buffer(new float[inputDims.Aggregate(1L, (a, b) => a * b)], inputDims);
        _binding.BindInput(_inputName, _input.Value);
        if (_labelsName is not null)
        {
            _labels = new LongBuffer(new long[batch], [batch]);
            _binding.BindInput(_labelsName, _labels.Value);
        }
        if (_targetName is not null)
        {
            var td = Resolve(_inputDims[_targetName], batch);
            _target = new Buffer(new float[td.Aggregate(1L, (a, b) => a * b)], td);
            _binding.BindInput(_targetName, _target.Value);
        }
        BindParameters();
        foreach (var (name, dims) in _outputDims)
        {
            var d = Resolve(dims, batch);
            var buf = new Buffer(new float[d.Aggregate(1L, (a, b) => a * b)], d);
            _outputs[name] = buf;
            _binding.BindOutput(name, buf.Value);
            if (_accumulators.TryGetValue(name, out var accumulated)) _binding.BindInput(accumulated, buf.Value);
        }
        _batch = batch;
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
        foreach (var output in _accumulators.Keys)
            if (_outputs.TryGetValue(output, out var b)) Array.Clear(b.Data);
    }

    /// <summary>The array behind output <paramref name="name"/> (overwritten by the next run; still valid, as a plain
    /// array, after the session is disposed).</summary>
    internal float[] OutputArray(string name) => Output(name).Data;

    private void BindParameters()
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
        _outputs.TryGetValue(name, out var b) ? (b.Data, b.Dims)
            : throw new KeyNotFoundException($"'{name}' is not an output of this gradient session; outputs are [{string.Join(", ", _outputDims.Keys)}]");

    internal IEnumerable<string> OutputNames => _outputDims.Keys;

    /// <inheritdoc />
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _binding.Dispose();
        _runOptions.Dispose();
        _input?.Dispose();
        _labels?.Dispose();
        _target?.Dispose();
        foreach (var b in _outputs.Values) b.Dispose();
        foreach (var b in _params.Values) b.Dispose();
        _session.Dispose();
        _feeds?.Dispose();
    }

    private sealed class Buffer : IDisposable
    {
        public Buffer(float[] init, long[] dims)
        {
            Data = GC.AllocateArray<float>(init.Length, pinned: true);
            init.CopyTo(Data, 0);
            Dims = dims;
            Value = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, new Memory<float>(Data), dims);
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
