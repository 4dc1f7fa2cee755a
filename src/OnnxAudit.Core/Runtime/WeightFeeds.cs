using System.Runtime.InteropServices;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using OnnxAudit.Onnx;
using Onnx;

namespace OnnxAudit.Runtime;

/// <summary>
/// For a model whose weights are large, the large float initializers turned into graph inputs that are fed, on every
/// run, from the loaded model's own bytes (pinned, not copied). ONNX Runtime then neither receives a serialised copy of
/// the weights nor copies them into its own tensors. Dispose after the session that uses the feeds.
/// </summary>
// why: issue 17: a session over vgg11_bn@224 (515 MB of weights) held the parsed model, the serialised bytes handed to
// ONNX Runtime, ONNX Runtime's parsed copy and its initializer tensors at once (gradient: 4.8 GB peak RSS). Below the
// threshold nothing changes, so small models keep ONNX Runtime's constant folding and weight pre-packing.
internal sealed class WeightFeeds : IDisposable
{
    /// <summary>Models with at least this many bytes of float initializer data get feeds.</summary>
    internal const long DefaultModelThresholdBytes = 256L << 20;

    private static readonly AsyncLocal<long?> ThresholdOverride = new();

    /// <summary>The threshold in effect (<see cref="DefaultModelThresholdBytes"/> unless a test scope lowered it).</summary>
    internal static long ModelThresholdBytes => ThresholdOverride.Value ?? DefaultModelThresholdBytes;

    /// <summary>Second-order (gradient-matching) models with at least this many bytes of float initializer data get feeds.</summary>
    // why: issue 17: alexnet@64 (228 MB of weights, below the first-order threshold) peaked at 11.8 GB RSS in the federated
    // stage, where the Inverting and DLG sessions each held ONNX Runtime's copy of the weights and an arena sized to the
    // second-order graph's intermediates. First-order sessions keep the higher threshold: fed weights lose ONNX Runtime's
    // weight pre-packing, which made the split-stage white-box loops on alexnet 2-7x slower at 64 MB.
    internal const long DefaultSecondOrderThresholdBytes = 64L << 20;

    /// <summary>The second-order threshold in effect (a test scope that lowers <see cref="ModelThresholdBytes"/> lowers it too).</summary>
    internal static long SecondOrderThresholdBytes => Math.Min(ModelThresholdBytes, DefaultSecondOrderThresholdBytes);

    /// <summary>Sets the model threshold for the calling flow until the scope is disposed (tests).</summary>
    internal static IDisposable WithModelThreshold(long bytes)
    {
        var before = ThresholdOverride.Value;
        ThresholdOverride.Value = bytes;
        return new Scope(() => ThresholdOverride.Value = before);
    }

    private sealed class Scope(Action undo) : IDisposable
    {
        public void Dispose() => undo();
    }

    /// <summary>Only initializers of at least this many bytes are fed (small ones stay constants).</summary>
    internal const long TensorThresholdBytes = 1L << 20;

    private readonly List<GCHandle> _pins = [];
    private readonly List<OrtValue> _values = [];
    private readonly List<string> _names = [];
    private bool _disposed;

    private WeightFeeds()
    {
    }

    /// <summary>The graph input names of the fed weights.</summary>
    public IReadOnlyList<string> Names => _names;

    /// <summary>The fed values (over the pinned raw bytes of the model's initializers), in <see cref="Names"/> order.</summary>
    public IReadOnlyList<OrtValue> Values => _values;

    /// <summary>Bytes fed.</summary>
    public long Bytes { get; private set; }

    /// <summary>The model to serialise for ONNX Runtime and the feeds it needs: <paramref name="model"/> itself and null
    /// when its float initializers are below <see cref="ModelThresholdBytes"/>; otherwise a copy whose large float
    /// initializers (raw little-endian data of at least <see cref="TensorThresholdBytes"/>) are graph inputs instead.</summary>
    public static (OnnxModel Model, WeightFeeds? Feeds) Split(OnnxModel model) => Split(model, ModelThresholdBytes);

    /// <summary><see cref="Split(OnnxModel)"/> with a model threshold of <paramref name="thresholdBytes"/>.</summary>
    public static (OnnxModel Model, WeightFeeds? Feeds) Split(OnnxModel model, long thresholdBytes)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (!BitConverter.IsLittleEndian) return (model, null);
        var candidates = model.Graph.Initializer.Where(Feedable).ToList();
        if (candidates.Sum(t => (long)t.RawData.Length) < thresholdBytes) return (model, null);
        var feeds = new WeightFeeds();
        try
        {
            var copy = model.Clone();
            var g = copy.Graph;
            var declared = g.Input.Select(i => i.Name).ToHashSet(StringComparer.Ordinal);
            var fed = new HashSet<string>(StringComparer.Ordinal);
            foreach (var t in candidates)
            {
                if (!MemoryMarshal.TryGetArray(t.RawData.Memory, out var segment) || segment.Array is null) continue;
                if (!fed.Add(t.Name)) continue;
                var pin = GCHandle.Alloc(segment.Array, GCHandleType.Pinned);
                feeds._pins.Add(pin);
                var ptr = pin.AddrOfPinnedObject() + segment.Offset;
                feeds._values.Add(OrtValue.CreateTensorValueWithData(OrtMemoryInfo.DefaultInstance, TensorElementType.Float, [.. t.Dims], ptr, segment.Count));
                feeds._names.Add(t.Name);
                feeds.Bytes += segment.Count;
                if (!declared.Contains(t.Name))
                {
                    var shape = new TensorShapeProto();
                    foreach (var d in t.Dims) shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = d });
                    g.Input.Add(new ValueInfoProto
                    {
                        Name = t.Name,
                        Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = shape } },
                    });
                }
            }
            for (var i = g.Initializer.Count - 1; i >= 0; i--)
                if (fed.Contains(g.Initializer[i].Name)) g.Initializer.RemoveAt(i);
            return (copy, feeds);
        }
        catch
        {
            feeds.Dispose();
            throw;
        }
    }

    private static bool Feedable(TensorProto t) =>
        t.DataType == (int)TensorProto.Types.DataType.Float && t.RawData.Length >= TensorThresholdBytes && t.Segment is null
        && t.DataLocation != TensorProto.Types.DataLocation.External
        && t.Dims.Aggregate(4L, (a, b) => a * b) == t.RawData.Length;

    /// <inheritdoc />
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (var v in _values) v.Dispose();
        foreach (var p in _pins) p.Free();
    }
}
