using System.Numerics;
using OnnxAudit.Onnx;
using OnnxAudit.Progress;
using OnnxAudit.Runtime;

namespace OnnxAudit.Audits.Exclusivity;

/// <summary>
/// Bit-packed activation masks: for every sample and head ReLU layer, bit j of the sample's words is
/// 1{ReLU output j &gt; 0} (Pan et al. §3, D_i(X)). Immutable after construction.
/// </summary>
internal sealed class ActivationMasks
{
    internal ActivationMasks(IReadOnlyList<HeadReluLayer> layers, int samples, ulong[][] words)
    {
        Layers = layers;
        Samples = samples;
        Words = words;
        WordsPerSample = [.. layers.Select(l => WordCount(l.Width))];
    }

    /// <summary>The layers, i = 1…H.</summary>
    public IReadOnlyList<HeadReluLayer> Layers { get; }

    /// <summary>Number of samples.</summary>
    public int Samples { get; }

    /// <summary>Per layer: Samples × WordsPerSample words, sample-major.</summary>
    public ulong[][] Words { get; }

    /// <summary>Words per sample for each layer.</summary>
    public int[] WordsPerSample { get; }

    /// <summary>The words of sample <paramref name="s"/> at layer index <paramref name="layer"/> (0-based).</summary>
    public ReadOnlySpan<ulong> Mask(int layer, int s) => Words[layer].AsSpan(s * WordsPerSample[layer], WordsPerSample[layer]);

    /// <summary>Number of active neurons of sample s at layer index layer.</summary>
    public int ActiveCount(int layer, int s)
    {
        var c = 0;
        foreach (var w in Mask(layer, s)) c += BitOperations.PopCount(w);
        return c;
    }

    internal static int WordCount(int width) => (width + 63) / 64;

    /// <summary>Packs float activations of one layer ([count, width], row-major) into mask words.</summary>
    internal static void Pack(ReadOnlySpan<float> activations, int count, int width, bool linear, Span<ulong> destination)
    {
        var wps = WordCount(width);
        for (var s = 0; s < count; s++)
        {
            var row = activations.Slice(s * width, width);
            var dst = destination.Slice(s * wps, wps);
            dst.Clear();
            for (var j = 0; j < width; j++)
            {
                // why: Corollary 1 — a layer without ReLU activates every neuron for every sample.
                if (linear || row[j] > 0f) dst[j >> 6] |= 1UL << (j & 63);
            }
        }
    }

    /// <summary>Builds masks directly from boolean rows (tests, hand-built cases).</summary>
    internal static ActivationMasks FromBits(IReadOnlyList<HeadReluLayer> layers, IReadOnlyList<bool[][]> bitsPerLayer)
    {
        var n = bitsPerLayer[0].Length;
        var words = new ulong[layers.Count][];
        for (var l = 0; l < layers.Count; l++)
        {
            var wps = WordCount(layers[l].Width);
            words[l] = new ulong[n * wps];
            for (var s = 0; s < n; s++)
                for (var j = 0; j < layers[l].Width; j++)
                    if (layers[l].IsLinear || bitsPerLayer[l][s][j]) words[l][s * wps + (j >> 6)] |= 1UL << (j & 63);
        }
        return new ActivationMasks(layers, n, words);
    }

    /// <summary>
    /// One forward pass over the dataset (ONNX Runtime, head-ReLU tensors added as graph outputs) that
    /// records the masks. <paramref name="images"/> is float32 NCHW with <paramref name="dims"/>[0] samples.
    /// </summary>
    public static ActivationMasks Record(OnnxModel model, float[] images, long[] dims, IReadOnlyList<HeadReluLayer> layers,
        RuntimeOptions? runtime, int chunk, IAuditProgress progress)
    {
        if (layers.Count == 0) throw new ArgumentException("at least one head layer is needed", nameof(layers));
        using var forward = new ModelSession(model, runtime, [.. layers.Select(l => l.OutputName)]);
        return Record(forward, model.Origin, images, dims, layers, chunk, progress);
    }

    /// <summary>Like <see cref="Record(OnnxModel, float[], long[], IReadOnlyList{HeadReluLayer}, RuntimeOptions?, int, IAuditProgress)"/>
    /// with an open session whose outputs are the layers' tensors, in order.</summary>
    internal static ActivationMasks Record(ModelSession forward, string origin, float[] images, long[] dims, IReadOnlyList<HeadReluLayer> layers,
        int chunk, IAuditProgress progress)
    {
        if (layers.Count == 0) throw new ArgumentException("at least one head layer is needed", nameof(layers));
        var n = (int)dims[0];
        var words = layers.Select(l => new ulong[n * WordCount(l.Width)]).ToArray();
        using var stage = progress.Start("forward pass (activation masks)", n);
        forward.Run(images, dims, chunk, (start, count, outputs) =>
        {
            for (var l = 0; l < layers.Count; l++)
            {
                var width = layers[l].Width;
                if (outputs[l].Length != count * width)
                    throw new Errors.ModelLoadException($"{origin}: tensor '{layers[l].OutputName}' has {outputs[l].Length / Math.Max(1, count)} values per sample, expected width {width}; pass the head layer widths reported by the graph analysis.");
                var wps = WordCount(width);
                Pack(outputs[l], count, width, layers[l].IsLinear, words[l].AsSpan(start * wps, count * wps));
            }
            stage.Advance(count);
        });
        return new ActivationMasks(layers, n, words);
    }
}
