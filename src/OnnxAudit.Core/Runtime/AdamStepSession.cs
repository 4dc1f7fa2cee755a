using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using OnnxAudit.Onnx;

namespace OnnxAudit.Runtime;

/// <summary>
/// Runs an optimisation loop over a gradient model's data input with the Adam step inside the graph
/// (<see cref="AdamStepGraph"/>): one run maps the state (x, m, v[, v̂], t, Σloss) to the next state and the loss, so a
/// step needs nothing from the host. The state lives in four buffer sets: two "device" sets (CUDA memory on CUDA,
/// pinned host arrays on the CPU) that alternate as input and output (ping-pong), and two pinned host sets. A step the
/// caller wants to read (<c>Step(read: true)</c>: the first one, plateau checks, the last one) writes its outputs into a
/// host set instead, and the next step starts from there. Each (input set, output set) pair keeps its own IoBinding, so
/// device-to-device steps bind nothing. On CUDA ONNX Runtime copies a bound host input to the device when it is bound,
/// so a binding that reads a host set is re-bound before its run; <see cref="RuntimeOptions.EmulateDeviceBinding"/>
/// emulates that on the CPU by copying host inputs into staging buffers at bind time (a missed re-bind shows as stale
/// values). The target, the per-sample scale, the Adam schedule and fed parameters are bound once per
/// <see cref="Begin"/>. Not thread-safe. Dispose to release the native session.
/// </summary>
public sealed class AdamStepSession : IDisposable
{
    private const int Host0 = 0, Host1 = 1, Device0 = 2, Device1 = 3;

    private readonly InferenceSession _session;
    private readonly RunOptions _runOptions = new();
    private readonly WeightFeeds? _feeds;
    private readonly AdamStep _step;
    private readonly string _x;
    private readonly string? _targetName;
    private readonly string _lossName;
    private readonly IReadOnlyList<string> _floatState;
    private readonly long[] _dims;
    private readonly long _batch;
    private readonly bool _cuda;
    private readonly bool _emulate;
    private readonly StateSet[] _sets = new StateSet[4];
    private readonly Dictionary<(int, int), OrtIoBinding> _bindings = [];
    private readonly Dictionary<string, HostBound<float>> _fed = new(StringComparer.Ordinal);
    private readonly Dictionary<(OrtIoBinding, string), IDisposable> _staging = [];
    private readonly OrtAllocator? _deviceAllocator;
    private readonly OrtMemoryInfo? _deviceMemory;
    private HostBound<float>? _target, _scale, _stepSize, _bc2;
    private int _current = -1;
    private int _stepsLeft;
    private bool _readable;
    private bool _disposed;

    /// <summary>Appends <paramref name="step"/> to <paramref name="gradientModel"/> and opens the session for inputs of
    /// shape <paramref name="inputDims"/> (dims[0] = batch).</summary>
    /// <exception cref="Errors.ModelLoadException">ONNX Runtime cannot load the model.</exception>
    public AdamStepSession(OnnxModel gradientModel, GradientBindings bindings, long[] inputDims, AdamStep step, RuntimeOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(gradientModel);
        ArgumentNullException.ThrowIfNull(bindings);
        ArgumentNullException.ThrowIfNull(inputDims);
        if (inputDims.Length == 0 || inputDims.Any(d => d < 1)) throw new ArgumentException("input dims must be positive and include the batch", nameof(inputDims));
        options ??= RuntimeOptions.Default;
        _step = step;
        _x = bindings.DataInput;
        _targetName = bindings.TargetInput;
        _lossName = bindings.LossOutput;
        _dims = inputDims;
        _batch = inputDims[0];
        _cuda = options.Device == ExecutionDevice.Cuda;
        _emulate = !_cuda && options.EmulateDeviceBinding;
        _floatState = AdamStepGraph.FloatState(_x, step);
        Model = AdamStepGraph.Append(gradientModel, bindings, step);
        if (bindings.LabelsInput is not null) throw new ArgumentException("the in-graph step supports squared-error gradient models (no labels input)", nameof(bindings));
        if (bindings.ParameterInputs.Any(p => p.Dims.Length > 0))
            throw new ArgumentException("the in-graph step optimises the data input; tensor parameter inputs are not supported", nameof(bindings));
        foreach (var (name, values, dims) in bindings.ParameterInputs) _fed[name] = new HostBound<float>(dims, values);
        try
        {
            (var toLoad, _feeds) = WeightFeeds.Split(Model);
            _session = SessionFactory.Create(toLoad.ToBytes(), options, gradientModel.Origin, lowMemory: _feeds is not null);
        }
        catch
        {
            _feeds?.Dispose();
            foreach (var f in _fed.Values) f.Dispose();
            throw;
        }
        try
        {
            if (_cuda)
            {
                _deviceMemory = new OrtMemoryInfo(OrtMemoryInfo.allocatorCUDA, OrtAllocatorType.DeviceAllocator, 0, OrtMemType.Default);
                _deviceAllocator = new OrtAllocator(_session, _deviceMemory);
            }
            for (var i = 0; i < 4; i++) _sets[i] = new StateSet(this, onDevice: i >= Device0);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>The gradient model with the step appended (for inspection or saving).</summary>
    public OnnxModel Model { get; }

    /// <summary>Starts a run of at most <paramref name="maxSteps"/> steps from <paramref name="x0"/> with zero moments.
    /// <paramref name="target"/> is the squared-error target (if the model has one), <paramref name="scale"/> one
    /// gradient factor per sample (with <see cref="AdamStep.PerSampleScale"/>), <paramref name="fed"/> values of scalar
    /// parameter inputs (e.g. λ_TV).</summary>
    public void Begin(ReadOnlySpan<float> x0, ReadOnlySpan<float> target, ReadOnlySpan<float> scale, int maxSteps,
        IReadOnlyDictionary<string, float[]>? fed = null)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxSteps, 1);
        var h = _sets[Host0];
        if (x0.Length != h.Floats[0].Data.Length) throw new ArgumentException($"x0 has {x0.Length} values, expected {h.Floats[0].Data.Length}", nameof(x0));
        x0.CopyTo(h.Floats[0].Data);
        for (var i = 1; i < h.Floats.Count; i++) Array.Clear(h.Floats[i].Data);
        h.T.Data[0] = 0;
        h.LossSum.Data[0] = 0;
        if (_targetName is not null)
        {
            _target ??= new HostBound<float>(TargetDims());
            if (target.Length != _target.Data.Length) throw new ArgumentException($"target has {target.Length} values, expected {_target.Data.Length}", nameof(target));
            target.CopyTo(_target.Data);
        }
        if (_step.PerSampleScale)
        {
            _scale ??= new HostBound<float>([_batch, .. Enumerable.Repeat(1L, _dims.Length - 1)]);
            if (scale.Length != _batch) throw new ArgumentException($"scale has {scale.Length} values, expected {_batch}", nameof(scale));
            scale.CopyTo(_scale.Data);
        }
        if (_stepSize is null || _stepSize.Data.Length != maxSteps)
        {
            _stepSize?.Dispose();
            _bc2?.Dispose();
            var (a, b) = _step.Schedule(maxSteps);
            _stepSize = new HostBound<float>([maxSteps], a);
            _bc2 = new HostBound<float>([maxSteps], b);
        }
        if (fed is not null)
            foreach (var (name, values) in fed)
            {
                if (!_fed.TryGetValue(name, out var f)) throw new ArgumentException($"'{name}' is not a parameter input of this model", nameof(fed));
                if (values.Length != f.Data.Length) throw new ArgumentException($"parameter '{name}' has {values.Length} values, expected {f.Data.Length}", nameof(fed));
                values.CopyTo(f.Data, 0);
            }
        // why: the run's constant inputs changed; on CUDA they are uploaded when bound, so every binding is rebuilt.
        ClearBindings();
        _current = Host0;
        _stepsLeft = maxSteps;
        _readable = false;
    }

    /// <summary>One optimiser step. With <paramref name="read"/> the new state and the loss go to a host set
    /// (<see cref="Loss"/>, <see cref="LossSum"/>, <see cref="X"/>); otherwise they stay in device memory.</summary>
    /// <exception cref="InvalidOperationException">No <see cref="Begin"/>, or more steps than its schedule.</exception>
    public void Step(bool read)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_current < 0) throw new InvalidOperationException("call Begin first");
        if (_stepsLeft <= 0) throw new InvalidOperationException("more steps than the schedule given to Begin");
        var output = read ? (_current == Host0 ? Host1 : Host0) : (_current == Device0 ? Device1 : Device0);
        if (!_bindings.TryGetValue((_current, output), out var binding))
        {
            binding = _session.CreateIoBinding();
            _bindings[(_current, output)] = binding;
            BindConstants(binding);
            BindState(binding, _sets[_current]);
            var o = _sets[output];
            for (var i = 0; i < _floatState.Count; i++) binding.BindOutput(_floatState[i] + AdamStepGraph.Next, o.Floats[i].Value);
            binding.BindOutput(AdamStepGraph.T + AdamStepGraph.Next, o.T.Value);
            binding.BindOutput(AdamStepGraph.LossSum + AdamStepGraph.Next, o.LossSum.Value);
            binding.BindOutput(_lossName, o.Loss.Value);
        }
        else if (_current < Device0 && (_cuda || _emulate))
        {
            // why: the host set was written by the previous run (or Begin / ResetLossSum) after this binding last
            // uploaded it; ONNX Runtime copies host inputs at bind time, so bind them again.
            BindState(binding, _sets[_current]);
        }
        try
        {
            _session.RunWithBinding(_runOptions, binding);
        }
        catch (OnnxRuntimeException ex)
        {
            throw ModelSession.Wrap(ex, Model.Origin, _x, _dims, [_lossName]);
        }
        _current = output;
        _stepsLeft--;
        _readable = read;
    }

    /// <summary>The loss of the latest step (a read step).</summary>
    public float Loss => HostSet().Loss.Data[0];

    /// <summary>The sum, in double, of the losses since <see cref="Begin"/> or the last <see cref="ResetLossSum"/>.</summary>
    public double LossSum => HostSet().LossSum.Data[0];

    /// <summary>Restarts the loss sum at 0 for the following steps (after a read step).</summary>
    public void ResetLossSum() => HostSet().LossSum.Data[0] = 0;

    /// <summary>The optimised tensor after the latest step (a read step); overwritten by later read steps.</summary>
    public ReadOnlySpan<float> X => HostSet().Floats[0].Data;

    /// <summary>Steps taken since <see cref="Begin"/> (the t input of the next step; a read step's value).</summary>
    public long StepsTaken => HostSet().T.Data[0];

    private StateSet HostSet()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!_readable)
            throw new InvalidOperationException(_current is Device0 or Device1 ? "the latest step kept its state on the device: use Step(read: true)" : "call Begin and Step(read: true) first");
        return _sets[_current];
    }

    private void BindConstants(OrtIoBinding binding)
    {
        if (_target is not null) BindHost(binding, _targetName!, _target);
        if (_scale is not null) BindHost(binding, AdamStepGraph.Scale, _scale);
        BindHost(binding, AdamStepGraph.StepSize, _stepSize!);
        BindHost(binding, AdamStepGraph.Bc2Sqrt, _bc2!);
        foreach (var (name, f) in _fed) BindHost(binding, name, f);
        if (_feeds is null) return;
        for (var i = 0; i < _feeds.Names.Count; i++) binding.BindInput(_feeds.Names[i], _feeds.Values[i]);
    }

    private void BindState(OrtIoBinding binding, StateSet s)
    {
        for (var i = 0; i < _floatState.Count; i++) Bind(binding, _floatState[i], s, s.Floats[i]);
        Bind(binding, AdamStepGraph.T, s, s.T);
        Bind(binding, AdamStepGraph.LossSum, s, s.LossSum);
    }

    private void Bind<T>(OrtIoBinding binding, string name, StateSet s, Bound<T> t) where T : unmanaged
    {
        if (s.OnDevice || t is not HostBound<T> host) binding.BindInput(name, t.Value);
        else BindHost(binding, name, host);
    }

    // Binds a host input: in place on the CPU; uploaded by ONNX Runtime at bind time on CUDA; copied into a staging
    // buffer at bind time under the emulation (what the device then holds).
    private void BindHost<T>(OrtIoBinding binding, string name, HostBound<T> host) where T : unmanaged
    {
        if (!_emulate)
        {
            binding.BindInput(name, host.Value);
            return;
        }
        // why: one staging buffer per binding and input, as ONNX Runtime keeps one device copy per bound input.
        if (!_staging.TryGetValue((binding, name), out var s)) _staging[(binding, name)] = s = new HostBound<T>(host.Dims);
        var staged = (HostBound<T>)s;
        host.Data.CopyTo(staged.Data, 0);
        binding.BindInput(name, staged.Value);
    }

    private long[] TargetDims()
    {
        var vi = Model.Graph.Input.First(i => i.Name == _targetName);
        return [.. vi.Type.TensorType.Shape.Dim.Select(d => d.ValueCase == global::Onnx.TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue ? d.DimValue : _batch)];
    }

    private void ClearBindings()
    {
        foreach (var b in _bindings.Values) b.Dispose();
        _bindings.Clear();
        foreach (var s in _staging.Values) s.Dispose();
        _staging.Clear();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        ClearBindings();
        foreach (var s in _sets) s?.Dispose();
        _target?.Dispose();
        _scale?.Dispose();
        _stepSize?.Dispose();
        _bc2?.Dispose();
        foreach (var f in _fed.Values) f.Dispose();
        _runOptions.Dispose();
        _deviceAllocator?.Dispose();
        _deviceMemory?.Dispose();
        _session?.Dispose();
        _feeds?.Dispose();
    }

    /// <summary>One copy of the loop state: the float tensors (x first), t, Σloss and the loss.</summary>
    private sealed class StateSet : IDisposable
    {
        public StateSet(AdamStepSession owner, bool onDevice)
        {
            OnDevice = onDevice;
            var device = onDevice && owner._cuda ? owner._deviceAllocator : null;
            Floats = [.. owner._floatState.Select(_ => Bound<float>.Create(owner._dims, device, TensorElementType.Float))];
            T = Bound<long>.Create([], device, TensorElementType.Int64);
            LossSum = Bound<double>.Create([], device, TensorElementType.Double);
            Loss = Bound<float>.Create([], device, TensorElementType.Float);
        }

        public bool OnDevice { get; }
        public IReadOnlyList<Bound<float>> Floats { get; }
        public Bound<long> T { get; }
        public Bound<double> LossSum { get; }
        public Bound<float> Loss { get; }

        public void Dispose()
        {
            foreach (var f in Floats) f.Dispose();
            T.Dispose();
            LossSum.Dispose();
            Loss.Dispose();
        }
    }

    /// <summary>A bound tensor: pinned host memory (readable) or, on CUDA, device memory (not readable here).</summary>
    private class Bound<T> : IDisposable where T : unmanaged
    {
        protected Bound(OrtValue value) => Value = value;

        public OrtValue Value { get; }

        /// <summary>The host array (host memory only).</summary>
        public virtual T[] Data => throw new InvalidOperationException("a device buffer is not readable on the host; read a step with Step(read: true)");

        public static Bound<T> Create(long[] dims, OrtAllocator? device, TensorElementType type) =>
            device is null ? new HostBound<T>(dims) : new Bound<T>(OrtValue.CreateAllocatedTensorValue(device, type, dims));

        public void Dispose() => Value.Dispose();
    }

    private sealed class HostBound<T> : Bound<T> where T : unmanaged
    {
        public HostBound(long[] dims, T[]? init = null)
            : this(Pinned(dims, init), dims)
        {
        }

        private HostBound(T[] data, long[] dims)
            : base(OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, new Memory<T>(data), dims))
        {
            _data = data;
            Dims = dims;
        }

        private readonly T[] _data;

        public override T[] Data => _data;
        public long[] Dims { get; }

        private static T[] Pinned(long[] dims, T[]? init)
        {
            var data = GC.AllocateArray<T>((int)dims.Aggregate(1L, (a, b) => a * b), pinned: true);
            init?.AsSpan(0, Math.Min(init.Length, data.Length)).CopyTo(data);
            return data;
        }
    }
}
