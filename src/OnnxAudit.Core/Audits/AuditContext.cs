using OnnxAudit.Audits.Exclusivity;
using OnnxAudit.Audits.GradientAttack;
using OnnxAudit.Autodiff;
using OnnxAudit.Data;
using OnnxAudit.Graph;
using OnnxAudit.Onnx;
using OnnxAudit.Progress;
using OnnxAudit.Runtime;

namespace OnnxAudit.Audits;

/// <summary>
/// The model being audited, built once from (model, data, options) and shared by every auditor: the model, its graph
/// analysis (data input, its layout, the classifier head), the dataset, and memoised results keyed by what they compute —
/// accuracy per model, activation masks per (model, layers), inference sessions per (model, outputs) and gradient
/// sessions per (model, request). Derived models (a hardened copy) are keyed by reference, so pass the same instance to
/// reuse its entries. Not thread-safe. Dispose to release the sessions it holds.
/// </summary>
public sealed class AuditContext : IDisposable
{
    private readonly Dictionary<OnnxModel, AccuracyResult> _accuracy = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<(OnnxModel, string), ActivationMasks> _masks = [];
    private readonly Dictionary<(OnnxModel, string), ModelSession> _sessions = [];
    private readonly Dictionary<(OnnxModel, string), GradientSession> _gradients = [];
    private readonly Dictionary<(OnnxModel, FeatureMatchingOptions), FeatureMatching> _featureMatching = [];
    private float[]? _images;
    private bool _disposed;

    /// <summary>Creates the context. Nothing is run until a member needs it.</summary>
    /// <param name="model">The classifier.</param>
    /// <param name="analysis">Its graph analysis.</param>
    /// <param name="data">The sample data (checked against the model input by the caller).</param>
    /// <param name="runtime">ONNX Runtime options of every session; null = <see cref="RuntimeOptions.Default"/>.</param>
    public AuditContext(OnnxModel model, GraphAnalysis analysis, Dataset data, RuntimeOptions? runtime = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(analysis);
        ArgumentNullException.ThrowIfNull(data);
        Model = model;
        Analysis = analysis;
        Data = data;
        Runtime = runtime ?? RuntimeOptions.Default;
    }

    /// <summary>The classifier.</summary>
    public OnnxModel Model { get; }

    /// <summary>Its graph analysis.</summary>
    public GraphAnalysis Analysis { get; }

    /// <summary>The sample data.</summary>
    public Dataset Data { get; }

    /// <summary>ONNX Runtime options.</summary>
    public RuntimeOptions Runtime { get; }

    /// <summary>How image batches are shaped for the model input.</summary>
    public InputLayout Layout => Analysis.InputLayout;

    /// <summary>All images, row-major (a copy made once; do not modify).</summary>
    public float[] Images => _images ??= Data.Pixels.ToArray();

    /// <summary>The dims of <see cref="Images"/> as the model input takes them.</summary>
    public long[] InputDims => Layout.Dims(Data.N, Data.C, Data.H, Data.W);

    /// <summary>One image's shape C, H, W.</summary>
    public long[] ImageDims => [Data.C, Data.H, Data.W];

    /// <summary>The labels as ints, or null without labels.</summary>
    public int[]? Labels => Data.HasLabels ? [.. Data.Labels!.Select(v => (int)v)] : null;

    /// <summary>Top-1 accuracy of <paramref name="model"/> (null = <see cref="Model"/>) on the data, computed once per model.</summary>
    /// <exception cref="Errors.DataFormatException">The data has no labels.</exception>
    public AccuracyResult Accuracy(OnnxModel? model = null, IAuditProgress? progress = null)
    {
        model ??= Model;
        if (_accuracy.TryGetValue(model, out var known)) return known;
        if (!Data.HasLabels) throw new Errors.DataFormatException($"{Data.Source}: no labels were found; accuracy needs labels (put the labels file beside the images).");
        var result = ModelEvaluation.Accuracy(Session(model), Data, progress, Autodiff.FederatedGradient.ForwardChunk(model, 256), Layout);
        _accuracy[model] = result;
        return result;
    }

    /// <summary>An inference session of <paramref name="model"/> returning <paramref name="outputs"/> (null = its first
    /// output), created once per (model, outputs). Owned by the context: do not dispose.</summary>
    public ModelSession Session(OnnxModel model, IReadOnlyList<string>? outputs = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ObjectDisposedException.ThrowIf(_disposed, this);
        var key = (model, outputs is null ? "" : string.Join('\n', outputs));
        if (!_sessions.TryGetValue(key, out var s)) _sessions[key] = s = new ModelSession(model, Runtime, outputs);
        return s;
    }

    /// <summary>A gradient session of <paramref name="model"/> for <paramref name="request"/>, built once per (model,
    /// <paramref name="key"/>); the key names the request (equal keys must mean equal requests). Owned by the context.</summary>
    public GradientSession GradientSession(OnnxModel model, string key, Func<GradientRequest> request)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(request);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!_gradients.TryGetValue((model, key), out var s)) _gradients[(model, key)] = s = GradientSessions.Create(model, request(), Runtime);
        return s;
    }

    /// <summary>The victim's averaged cross-entropy gradient w.r.t. every float initializer of <paramref name="model"/>
    /// (what <see cref="FederatedGradient.Compute"/> returns), from one gradient session reused for every batch.</summary>
    /// <param name="model">The model.</param>
    /// <param name="parameters">Only these initializers' gradients (null = every float initializer): an attack that reads only the
    /// head's gradient needs no backward pass through Φ.</param>
    public VictimGradient FederatedGradient(OnnxModel model, IReadOnlyList<string>? parameters = null)
    {
        var names = parameters ?? Autodiff.FederatedGradient.FloatInitializers(model);
        var key = parameters is null ? "federated" : "federated:" + string.Join('\n', parameters);
        return (batch, dims, labels) =>
        {
            var run = GradientSession(model, key, () => new GradientRequest(new SoftmaxCrossEntropyLoss(), names)).Run(batch, dims, labels);
            return names.ToDictionary(n => n, n => run.Gradient(n).ToArray(), StringComparer.Ordinal);
        };
    }

    /// <summary>Activation masks of <paramref name="layers"/> of <paramref name="model"/> over all images (one forward pass
    /// in chunks of <paramref name="chunk"/>), recorded once per (model, layers, chunk).</summary>
    internal ActivationMasks Masks(OnnxModel model, IReadOnlyList<HeadReluLayer> layers, int chunk, IAuditProgress progress)
    {
        var key = (model, string.Join('\n', layers.Select(l => $"{l.OutputName}:{l.Width}:{l.IsLinear}")) + "\n" + chunk);
        if (_masks.TryGetValue(key, out var m)) return m;
        var outputs = layers.Select(l => l.OutputName).ToList();
        m = ActivationMasks.Record(Session(model, outputs), model.Origin, Images, InputDims, layers, chunk, progress);
        _masks[key] = m;
        return m;
    }

    /// <summary>The stage-2 feature matcher of <paramref name="model"/>'s head, once per (model, options).</summary>
    internal FeatureMatching FeatureMatcher(OnnxModel model, string headInput, long[] sampleDims, FeatureMatchingOptions options)
    {
        if (!_featureMatching.TryGetValue((model, options), out var f))
            _featureMatching[(model, options)] = f = new FeatureMatching(model, headInput, sampleDims, options, Runtime);
        return f;
    }

    /// <summary>Sessions (inference, gradient, feature matching) the context holds now.</summary>
    internal int SessionCount => _sessions.Count + _gradients.Count + _featureMatching.Count;

    /// <summary>Disposes the sessions held so far (memoised results stay); a later request builds its session again.
    /// Called between stages that do not share sessions.</summary>
    // why: issue 17: on alexnet@64 the exclusivity and gradient-attack sessions (ONNX Runtime's copies of 228 MB of
    // weights and their arenas) were still held while the federated stage built its own first- and second-order sessions.
    public void ReleaseSessions()
    {
        foreach (var f in _featureMatching.Values) f.Dispose();
        foreach (var s in _gradients.Values) s.Dispose();
        foreach (var s in _sessions.Values) s.Dispose();
        var released = SessionCount > 0;
        _featureMatching.Clear();
        _gradients.Clear();
        _sessions.Clear();
        // why: the released sessions' model bytes and clones are large-object-heap arrays of the model's size; one
        // compacting collection per phase gives their pages back before the next phase allocates its own.
        if (!released) return;
        System.Runtime.GCSettings.LargeObjectHeapCompactionMode = System.Runtime.GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect();
        Common.NativeHeap.Trim();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        ReleaseSessions();
    }
}
