using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using OnnxAudit.Onnx;

namespace OnnxAudit.Runtime;

/// <summary>What a step of <see cref="AdamStepSession.Step"/> brings back to the host.</summary>
public enum StepRead
{
    /// <summary>Nothing: the state stays in device memory.</summary>
    None,
    /// <summary>The scalars (loss, loss sum, step count); the tensors stay in device memory.</summary>
    Loss,
    /// <summary>The whole state (tensors, moments, scalars).</summary>
    All,
}

/// <summary>
/// Runs an optimisation loop with the Adam step inside the graph (<see cref="AdamStepGraph"/>): one run maps the state
/// (the optimised tensors and their moments, t, Σloss) to the next state and the loss, so a step needs nothing from the
/// host but its data batch. The state lives in buffer sets: two "device" sets (CUDA memory on CUDA, pinned host arrays on
/// the CPU) that alternate as input and output (ping-pong), two pinned host sets, and a scratch set for evaluations
/// (<see cref="Evaluate"/>). A step the caller reads (<see cref="StepRead"/>) writes the scalars, or everything, into a
/// host set instead, and the next step starts from there. Each combination of input and output sets (and batch size)
/// keeps its own IoBinding, so device-to-device steps bind nothing. On CUDA ONNX Runtime copies a bound host input to the
/// device when it is bound, so a binding re-binds the host inputs written since it last bound them (a version count per
/// host buffer); <see cref="RuntimeOptions.EmulateDeviceBinding"/> emulates the upload on the CPU by copying host inputs
/// into per-binding staging buffers at bind time, so a missed re-bind shows as stale values. Not thread-safe. Dispose to
/// release the native session.
/// </summary>
public sealed class AdamStepSession : IDisposable
{
    private const int Host0 = 0, Host1 = 1, Device0 = 2, Device1 = 3, Scratch = 4;

    private readonly InferenceSession _session;
    private readonly RunOptions _runOptions = new();
    private readonly WeightFeeds? _feeds;
    private readonly AdamStep _step;
    private readonly GradientBindings _bindings;
    private readonly IReadOnlyList<string> _optimised;
    private readonly Dictionary<string, long[]> _stateDims = new(StringComparer.Ordinal);
    private readonly List<string> _floatInputs = [];
    private readonly List<long[]> _floatDims = [];
    private readonly Dictionary<string, int> _floatIndex = new(StringComparer.Ordinal);
    private readonly bool _dataOptimised;
    private readonly bool _cuda;
    private readonly bool _emulate;
    private readonly StateSet[] _sets = new StateSet[5];
    private readonly Dictionary<(int, int, int, int, long), Binding> _bindingCache = [];
    private readonly Dictionary<string, HostBound<float>> _fed = new(StringComparer.Ordinal);
    private readonly Dictionary<long, DataSet> _data = [];
    private readonly OrtAllocator? _deviceAllocator;
    private readonly OrtMemoryInfo? _deviceMemory;
    private HostBound<float>? _scale, _stepSize, _bc2;
    private DataSet? _currentData;
    private int _floatsAt = -1, _scalarsAt = -1;
    private bool _floatsReadable, _scalarsReadable;
    private int _stepsLeft;
    private bool _scheduleVaried;
    private bool _disposed;

    /// <summary>Appends the step for <paramref name="optimised"/> to <paramref name="gradientModel"/> and opens the
    /// session. The optimised tensors are parameter inputs (<see cref="GradientBindings.ParameterInputs"/>, their dims)
    /// or the data input (then <paramref name="dataDims"/> gives its shape, batch included).</summary>
    /// <exception cref="Errors.ModelLoadException">ONNX Runtime cannot load the model.</exception>
    public AdamStepSession(OnnxModel gradientModel, GradientBindings bindings, IReadOnlyList<string> optimised, AdamStep step,
        RuntimeOptions? options = null, long[]? dataDims = null)
    {
        ArgumentNullException.ThrowIfNull(gradientModel);
        ArgumentNullException.ThrowIfNull(bindings);
        ArgumentNullException.ThrowIfNull(optimised);
        ArgumentNullException.ThrowIfNull(step);
        options ??= RuntimeOptions.Default;
        _step = step;
        _bindings = bindings;
        _optimised = [.. optimised];
        _cuda = options.Device == ExecutionDevice.Cuda;
        _emulate = !_cuda && options.EmulateDeviceBinding;
        _dataOptimised = _optimised.Contains(bindings.DataInput);
        var parameterDims = bindings.ParameterInputs.ToDictionary(p => p.Name, p => p.Dims, StringComparer.Ordinal);
        foreach (var p in _optimised)
        {
            long[] dims;
            if (p == bindings.DataInput)
            {
                if (dataDims is null || dataDims.Length == 0 || dataDims.Any(d => d < 1)) throw new ArgumentException("optimising the data input needs its positive dims, batch included", nameof(dataDims));
                dims = dataDims;
            }
            else if (!parameterDims.TryGetValue(p, out dims!))
            {
                throw new ArgumentException($"'{p}' is neither the data input nor a parameter input (build with ParametersAsInputs)", nameof(optimised));
            }
            _stateDims[p] = dims;
            foreach (var name in AdamStepGraph.FloatState(p, step))
            {
                _floatIndex[name] = _floatInputs.Count;
                _floatInputs.Add(name);
                _floatDims.Add(dims);
            }
        }
        Model = AdamStepGraph.Append(gradientModel, bindings, _optimised, step);
        foreach (var (name, values, dims) in bindings.ParameterInputs)
            if (!_stateDims.ContainsKey(name)) _fed[name] = new HostBound<float>(dims, values);
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
            _sets[Host0] = new StateSet(this, floatsOnDevice: false, scalarsOnDevice: false);
            _sets[Host1] = new StateSet(this, floatsOnDevice: false, scalarsOnDevice: false);
            _sets[Device0] = new StateSet(this, floatsOnDevice: true, scalarsOnDevice: true);
            _sets[Device1] = new StateSet(this, floatsOnDevice: true, scalarsOnDevice: true);
            _sets[Scratch] = new StateSet(this, floatsOnDevice: true, scalarsOnDevice: false);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>The gradient model with the step appended (for inspection or saving).</summary>
    public OnnxModel Model { get; }

    /// <summary>Starts a run of at most <paramref name="maxSteps"/> steps from <paramref name="initial"/> (a value for every
    /// optimised tensor) with zero moments, t = 0 and Σloss = 0. <paramref name="scale"/>: one gradient factor per sample
    /// (with <see cref="AdamStep.PerSampleScale"/>); <paramref name="fed"/>: values of the parameter inputs that are not
    /// optimised (e.g. λ_TV, observed gradients); <paramref name="learningRates"/>: lr per step (null = the step's
    /// constant <see cref="AdamStep.LearningRate"/>).</summary>
    public void Begin(IReadOnlyDictionary<string, float[]> initial, int maxSteps, ReadOnlySpan<float> scale = default,
        IReadOnlyDictionary<string, float[]>? fed = null, IReadOnlyList<double>? learningRates = null)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(initial);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxSteps, 1);
        var h = _sets[Host0];
        foreach (var p in _optimised)
        {
            if (!initial.TryGetValue(p, out var values)) throw new ArgumentException($"no initial value for '{p}'", nameof(initial));
            var names = AdamStepGraph.FloatState(p, _step);
            var target = h.Floats[_floatIndex[names[0]]].Data;
            if (values.Length != target.Length) throw new ArgumentException($"'{p}' has {values.Length} values, expected {target.Length}", nameof(initial));
            values.CopyTo(target, 0);
            for (var i = 1; i < names.Count; i++) Array.Clear(h.Floats[_floatIndex[names[i]]].Data);
        }
        h.T.Data[0] = 0;
        h.LossSum.Data[0] = 0;
        h.Written();
        if (_step.PerSampleScale)
        {
            var batch = _stateDims[_bindings.DataInput][0];
            _scale ??= new HostBound<float>([batch, .. Enumerable.Repeat(1L, _stateDims[_bindings.DataInput].Length - 1)]);
            if (scale.Length != batch) throw new ArgumentException($"scale has {scale.Length} values, expected {batch}", nameof(scale));
            scale.CopyTo(_scale.Data);
            _scale.Version++;
        }
        // why: one entry more than the steps, read (and discarded) by an evaluation after the last step.
        if (_stepSize is null || _stepSize.Data.Length != maxSteps + 1 || learningRates is not null || _scheduleVaried)
        {
            _scheduleVaried = learningRates is not null;
            var (a, b) = _step.Schedule(maxSteps + 1, learningRates);
            // why: a binding holds the schedule it was created with; a new length needs new bindings.
            ClearBindings();
            _stepSize?.Dispose();
            _bc2?.Dispose();
            _stepSize = new HostBound<float>([maxSteps + 1], a);
            _bc2 = new HostBound<float>([maxSteps + 1], b);
        }
        if (fed is not null)
            foreach (var (name, values) in fed)
            {
                if (!_fed.TryGetValue(name, out var f)) throw new ArgumentException($"'{name}' is not a fed parameter input of this model", nameof(fed));
                if (values.Length != f.Data.Length) throw new ArgumentException($"parameter '{name}' has {values.Length} values, expected {f.Data.Length}", nameof(fed));
                values.CopyTo(f.Data, 0);
                f.Version++;
            }
        _floatsAt = _scalarsAt = Host0;
        _floatsReadable = _scalarsReadable = false;
        _stepsLeft = maxSteps;
    }

    /// <summary>Sets the data of the following steps and evaluations: the data input (unless it is optimised; shape
    /// <paramref name="dims"/>, dims[0] = batch), the labels and/or the squared-error target, as the gradient model has
    /// them. Each batch size keeps its own pinned buffers; on CUDA the data is uploaded once per binding that reads it.</summary>
    public void SetData(ReadOnlySpan<long> dims, ReadOnlySpan<float> input, ReadOnlySpan<long> labels = default, ReadOnlySpan<float> target = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (dims.Length == 0) throw new ArgumentException("dims must include the batch dimension", nameof(dims));
        var batch = dims[0];
        if (!_data.TryGetValue(batch, out var d))
        {
            d = new DataSet(batch);
            if (!_dataOptimised) d.Input = new HostBound<float>(dims.ToArray());
            if (_bindings.LabelsInput is not null) d.Labels = new HostBound<long>([batch]);
            if (_bindings.TargetInput is not null) d.Target = new HostBound<float>(Resolve(Declared(_bindings.TargetInput), batch));
            _data[batch] = d;
        }
        else if (d.Input is not null && !dims.SequenceEqual(d.Input.Dims))
        {
            throw new ArgumentException($"input shape [{string.Join(", ", dims.ToArray())}] differs from [{string.Join(", ", d.Input.Dims)}] of batch {batch}", nameof(dims));
        }
        Fill(d.Input, input, "input");
        Fill(d.Labels, labels, "labels");
        Fill(d.Target, target, "target");
        _currentData = d;
    }

    private static void Fill<T>(HostBound<T>? buffer, ReadOnlySpan<T> values, string what) where T : unmanaged
    {
        if (buffer is null) return;
        if (values.Length != buffer.Data.Length) throw new ArgumentException($"{what} has {values.Length} values, expected {buffer.Data.Length}", what);
        values.CopyTo(buffer.Data);
        buffer.Version++;
    }

    /// <summary>One optimiser step on the current data (<see cref="SetData"/>); <paramref name="read"/> says what comes
    /// back to the host (<see cref="Loss"/>, <see cref="LossSum"/>, <see cref="StepsTaken"/>, <see cref="Values"/>).</summary>
    /// <exception cref="InvalidOperationException">No <see cref="Begin"/> or <see cref="SetData"/>, or more steps than
    /// the schedule given to Begin.</exception>
    public void Step(StepRead read)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_floatsAt < 0) throw new InvalidOperationException("call Begin first");
        if (_stepsLeft <= 0) throw new InvalidOperationException("more steps than the schedule given to Begin");
        var floatsOut = read == StepRead.All ? OtherHost(_floatsAt) : OtherDevice(_floatsAt);
        var scalarsOut = read != StepRead.None ? OtherHost(_scalarsAt) : OtherDevice(_scalarsAt);
        Run(_floatsAt, _scalarsAt, floatsOut, scalarsOut);
        (_floatsAt, _scalarsAt) = (floatsOut, scalarsOut);
        _floatsReadable = read == StepRead.All;
        _scalarsReadable = read != StepRead.None;
        _stepsLeft--;
    }

    /// <summary>The loss at the current state on the current data, without a step (the state is left as it is; the
    /// step's outputs go to a scratch set). Used for held-out losses.</summary>
    public float Evaluate()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_floatsAt < 0) throw new InvalidOperationException("call Begin first");
        Run(_floatsAt, _scalarsAt, Scratch, Scratch);
        return _sets[Scratch].Loss.Data[0];
    }

    private static int OtherHost(int set) => set == Host0 ? Host1 : Host0;

    private static int OtherDevice(int set) => set == Device0 ? Device1 : Device0;

    private void Run(int floatsIn, int scalarsIn, int floatsOut, int scalarsOut)
    {
        var data = _currentData;
        if (data is null && (_bindings.TargetInput is not null || _bindings.LabelsInput is not null || !_dataOptimised))
            throw new InvalidOperationException("call SetData first");
        var key = (floatsIn, scalarsIn, floatsOut, scalarsOut, data?.Batch ?? 0);
        if (!_bindingCache.TryGetValue(key, out var b))
        {
            b = new Binding(_session.CreateIoBinding());
            _bindingCache[key] = b;
            var fi = _sets[floatsIn];
            var si = _sets[scalarsIn];
            for (var i = 0; i < _floatInputs.Count; i++) BindInput(b, _floatInputs[i], fi.Floats[i], fi.FloatsOnDevice);
            BindInput(b, AdamStepGraph.T, si.T, si.ScalarsOnDevice);
            BindInput(b, AdamStepGraph.LossSum, si.LossSum, si.ScalarsOnDevice);
            if (data?.Input is { } x) BindInput(b, _bindings.DataInput, x);
            if (data?.Labels is { } l) BindInput(b, _bindings.LabelsInput!, l);
            if (data?.Target is { } t) BindInput(b, _bindings.TargetInput!, t);
            if (_scale is not null) BindInput(b, AdamStepGraph.Scale, _scale);
            BindInput(b, AdamStepGraph.StepSize, _stepSize!);
            BindInput(b, AdamStepGraph.Bc2Sqrt, _bc2!);
            foreach (var (name, f) in _fed) BindInput(b, name, f);
            if (_feeds is not null)
                for (var i = 0; i < _feeds.Names.Count; i++) b.Io.BindInput(_feeds.Names[i], _feeds.Values[i]);
            var fo = _sets[floatsOut];
            var so = _sets[scalarsOut];
            for (var i = 0; i < _floatInputs.Count; i++) b.Io.BindOutput(_floatInputs[i] + AdamStepGraph.Next, fo.Floats[i].Value);
            b.Io.BindOutput(AdamStepGraph.T + AdamStepGraph.Next, so.T.Value);
            b.Io.BindOutput(AdamStepGraph.LossSum + AdamStepGraph.Next, so.LossSum.Value);
            b.Io.BindOutput(_bindings.LossOutput, so.Loss.Value);
        }
        else if (_cuda || _emulate)
        {
            // why: ONNX Runtime copies host inputs at bind time; the ones written since this binding bound them
            // (the previous run's host outputs, Begin, SetData, ResetLossSum) are bound again.
            foreach (var h in b.HostInputs)
                if (h.Buffer.Version != h.BoundVersion) Upload(b, h);
        }
        try
        {
            _session.RunWithBinding(_runOptions, b.Io);
            // why: the host reads these outputs next; on CUDA wait for the device (a no-op on the CPU). Steps whose
            // outputs stay on the device do not wait.
            if (_cuda && (!_sets[floatsOut].FloatsOnDevice || !_sets[scalarsOut].ScalarsOnDevice)) b.Io.SynchronizeBoundOutputs();
        }
        catch (OnnxRuntimeException ex)
        {
            throw ModelSession.Wrap(ex, Model.Origin, _bindings.DataInput, data?.Input?.Dims ?? _stateDims.GetValueOrDefault(_bindings.DataInput) ?? [], [_bindings.LossOutput]);
        }
        if (!_sets[floatsOut].FloatsOnDevice) _sets[floatsOut].WrittenFloats();
        if (!_sets[scalarsOut].ScalarsOnDevice) _sets[scalarsOut].WrittenScalars();
    }

    private void BindInput<T>(Binding b, string name, Bound<T> buffer, bool deviceSide = false) where T : unmanaged
    {
        if (deviceSide || buffer is not HostBound<T> host || (!_cuda && !_emulate))
        {
            b.Io.BindInput(name, buffer.Value);
            return;
        }
        var h = new HostInput(name, host);
        b.HostInputs.Add(h);
        Upload(b, h);
    }

    // The upload of a host input: ONNX Runtime copies it when bound (CUDA); the emulation copies it into a staging
    // buffer of this binding now, which is what the run then reads.
    private void Upload(Binding b, HostInput h)
    {
        h.BoundVersion = h.Buffer.Version;
        if (!_emulate)
        {
            b.Io.BindInput(h.Name, h.Buffer.Value);
            return;
        }
        if (!b.Staging.TryGetValue(h.Name, out var staged)) b.Staging[h.Name] = staged = h.Buffer.NewLike();
        h.Buffer.CopyTo(staged);
        b.Io.BindInput(h.Name, staged.Value);
    }

    /// <summary>The loss of the latest step (one read with <see cref="StepRead.Loss"/> or <see cref="StepRead.All"/>).</summary>
    public float Loss => Scalars().Loss.Data[0];

    /// <summary>The sum, in double, of the step losses since <see cref="Begin"/> or the last <see cref="ResetLossSum"/>.</summary>
    public double LossSum => Scalars().LossSum.Data[0];

    /// <summary>Steps taken since <see cref="Begin"/>.</summary>
    public long StepsTaken => Scalars().T.Data[0];

    /// <summary>Restarts the loss sum at 0 for the following steps (after a read step).</summary>
    public void ResetLossSum()
    {
        var s = Scalars();
        s.LossSum.Data[0] = 0;
        ((HostBound<double>)s.LossSum).Version++;
    }

    /// <summary>The values of optimised tensor <paramref name="name"/> after the latest step (one read with
    /// <see cref="StepRead.All"/>); overwritten by later read steps.</summary>
    public ReadOnlySpan<float> Values(string name)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!_floatsReadable)
            throw new InvalidOperationException(_floatsAt is Device0 or Device1 ? "the latest step kept the tensors on the device: use Step(StepRead.All)" : "call Begin and Step(StepRead.All) first");
        if (!_stateDims.ContainsKey(name)) throw new ArgumentException($"'{name}' is not optimised by this session", nameof(name));
        return _sets[_floatsAt].Floats[_floatIndex[name]].Data;
    }

    private StateSet Scalars()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!_scalarsReadable)
            throw new InvalidOperationException(_scalarsAt is Device0 or Device1 ? "the latest step kept its loss on the device: use Step(StepRead.Loss)" : "call Begin and a reading Step first");
        return _sets[_scalarsAt];
    }

    private long[] Declared(string input)
    {
        var vi = Model.Graph.Input.First(i => i.Name == input);
        return [.. vi.Type.TensorType.Shape.Dim.Select(d => d.ValueCase == global::Onnx.TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue ? d.DimValue : -1L)];
    }

    private static long[] Resolve(long[] dims, long batch) => [.. dims.Select(d => d < 0 ? batch : d)];

    private void ClearBindings()
    {
        foreach (var b in _bindingCache.Values) b.Dispose();
        _bindingCache.Clear();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        ClearBindings();
        foreach (var s in _sets) s?.Dispose();
        foreach (var d in _data.Values) d.Dispose();
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

    private sealed class Binding(OrtIoBinding io) : IDisposable
    {
        public OrtIoBinding Io { get; } = io;
        public List<HostInput> HostInputs { get; } = [];
        public Dictionary<string, IHostBuffer> Staging { get; } = new(StringComparer.Ordinal);

        public void Dispose()
        {
            Io.Dispose();
            foreach (var s in Staging.Values) s.Dispose();
        }
    }

    private sealed class HostInput(string name, IHostBuffer buffer)
    {
        public string Name { get; } = name;
        public IHostBuffer Buffer { get; } = buffer;
        public long BoundVersion { get; set; } = -1;
    }

    /// <summary>The data buffers of one batch size.</summary>
    private sealed class DataSet(long batch) : IDisposable
    {
        public long Batch { get; } = batch;
        public HostBound<float>? Input { get; set; }
        public HostBound<long>? Labels { get; set; }
        public HostBound<float>? Target { get; set; }

        public void Dispose()
        {
            Input?.Dispose();
            Labels?.Dispose();
            Target?.Dispose();
        }
    }

    /// <summary>One copy of the loop state: the float tensors (in <c>_floatInputs</c> order), t, Σloss and the loss.</summary>
    private sealed class StateSet : IDisposable
    {
        public StateSet(AdamStepSession owner, bool floatsOnDevice, bool scalarsOnDevice)
        {
            FloatsOnDevice = floatsOnDevice;
            ScalarsOnDevice = scalarsOnDevice;
            var floats = floatsOnDevice && owner._cuda ? owner._deviceAllocator : null;
            var scalars = scalarsOnDevice && owner._cuda ? owner._deviceAllocator : null;
            Floats = [.. owner._floatDims.Select(d => Bound<float>.Create(d, floats, TensorElementType.Float))];
            T = Bound<long>.Create([], scalars, TensorElementType.Int64);
            LossSum = Bound<double>.Create([], scalars, TensorElementType.Double);
            Loss = Bound<float>.Create([], scalars, TensorElementType.Float);
        }

        /// <summary>True for the sets that stand for device memory: CUDA memory on CUDA, pinned host arrays on the CPU
        /// (bound in place, never uploaded, never read by the host).</summary>
        public bool FloatsOnDevice { get; }
        public bool ScalarsOnDevice { get; }
        public IReadOnlyList<Bound<float>> Floats { get; }
        public Bound<long> T { get; }
        public Bound<double> LossSum { get; }
        public Bound<float> Loss { get; }

        public void WrittenFloats()
        {
            foreach (var f in Floats) ((HostBound<float>)f).Version++;
        }

        public void WrittenScalars()
        {
            ((HostBound<long>)T).Version++;
            ((HostBound<double>)LossSum).Version++;
            ((HostBound<float>)Loss).Version++;
        }

        public void Written()
        {
            WrittenFloats();
            WrittenScalars();
        }

        public void Dispose()
        {
            foreach (var f in Floats) f.Dispose();
            T.Dispose();
            LossSum.Dispose();
            Loss.Dispose();
        }
    }

    private interface IHostBuffer : IDisposable
    {
        long Version { get; }
        OrtValue Value { get; }
        IHostBuffer NewLike();
        void CopyTo(IHostBuffer other);
    }

    /// <summary>A bound tensor: pinned host memory (readable) or, on CUDA, device memory (not readable here).</summary>
    private class Bound<T> : IDisposable where T : unmanaged
    {
        protected Bound(OrtValue value) => Value = value;

        public OrtValue Value { get; }

        /// <summary>The host array (host memory only).</summary>
        public virtual T[] Data => throw new InvalidOperationException("a device buffer is not readable on the host; read it with a reading step");

        public static Bound<T> Create(long[] dims, OrtAllocator? device, TensorElementType type) =>
            device is null ? new HostBound<T>(dims) : new Bound<T>(OrtValue.CreateAllocatedTensorValue(device, type, dims));

        public void Dispose() => Value.Dispose();
    }

    private sealed class HostBound<T> : Bound<T>, IHostBuffer where T : unmanaged
    {
        private readonly T[] _data;

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

        public override T[] Data => _data;
        public long[] Dims { get; }

        /// <summary>Incremented whenever the host or a run writes the buffer.</summary>
        public long Version { get; set; }

        public IHostBuffer NewLike() => new HostBound<T>(Dims);

        public void CopyTo(IHostBuffer other) => _data.CopyTo(((HostBound<T>)other)._data, 0);

        private static T[] Pinned(long[] dims, T[]? init)
        {
            var data = GC.AllocateArray<T>((int)dims.Aggregate(1L, (a, b) => a * b), pinned: true);
            init?.AsSpan(0, Math.Min(init.Length, data.Length)).CopyTo(data);
            return data;
        }
    }
}
