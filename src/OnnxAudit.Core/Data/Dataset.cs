using System.Globalization;
using OnnxAudit.Errors;

namespace OnnxAudit.Data;

/// <summary>
/// A set of images held in memory as float32 NCHW, scaled to [0,1] (then, if <see cref="Mean"/>/<see cref="Std"/>
/// are set, normalised per channel as (x − mean[c]) / std[c]), with optional int64 labels.
/// Immutable after loading; thread-safe for reading. Spans returned stay valid as long as the dataset lives.
/// </summary>
public sealed class Dataset
{
    private readonly float[] _pixels;
    private readonly long[]? _labels;
    private readonly float[]? _mean;
    private readonly float[]? _std;

    internal Dataset(string source, float[] pixels, int n, int c, int h, int w, long[]? labels, string sha256,
        IReadOnlyList<string>? classNames = null, string? labelsSource = null, float[]? mean = null, float[]? std = null)
    {
        if ((long)n * c * h * w != pixels.Length) throw new ArgumentException("pixel count does not match N×C×H×W", nameof(pixels));
        if (labels is not null && labels.Length != n) throw new ArgumentException("label count does not match N", nameof(labels));
        Source = source;
        _pixels = pixels;
        N = n;
        C = c;
        H = h;
        W = w;
        _labels = labels;
        Sha256 = sha256;
        ClassNames = classNames;
        LabelsSource = labelsSource;
        _mean = mean;
        _std = std;
    }

    /// <summary>A copy of <paramref name="other"/> (sharing its buffers) with skipped-file count and class-map source.</summary>
    internal Dataset(Dataset other, int skippedFiles, string? classMapSource)
        : this(other.Source, other._pixels, other.N, other.C, other.H, other.W, other._labels, other.Sha256, other.ClassNames,
            other.LabelsSource, other._mean, other._std)
    {
        SkippedFiles = skippedFiles;
        ClassMapSource = classMapSource;
    }

    /// <summary>
    /// Wraps in-memory NCHW pixels (taken over, not copied) as a dataset, e.g. for synthetic or hand-built cases.
    /// <see cref="Sha256"/> is computed over the float32 little-endian bytes of <paramref name="pixels"/>.
    /// </summary>
    /// <exception cref="ArgumentException">Sizes or label count do not match.</exception>
    public static Dataset FromPixels(string source, float[] pixels, int n, int c, int h, int w, long[]? labels = null)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        if (n < 1 || c < 1 || h < 1 || w < 1) throw new ArgumentException($"dataset shape {n}×{c}×{h}×{w} must be positive");
        var bytes = System.Runtime.InteropServices.MemoryMarshal.AsBytes(pixels.AsSpan());
        var sha = BitConverter.IsLittleEndian
            ? Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes))
            : throw new PlatformNotSupportedException("big-endian hosts are not supported");
        return new Dataset(source, pixels, n, c, h, w, labels, sha);
    }

    /// <summary>
    /// A new dataset with the given images (and labels) in the given order, e.g. to split auxiliary and evaluation
    /// data. Keeps <see cref="Source"/>, <see cref="Sha256"/> (of the original source), class names and normalisation.
    /// </summary>
    public Dataset Subset(ReadOnlySpan<int> indices)
    {
        if (indices.IsEmpty) throw new ArgumentException("a subset needs at least one index", nameof(indices));
        var (data, _, labels) = Batch(indices);
        return new Dataset(Source, data, indices.Length, C, H, W, labels, Sha256, ClassNames, LabelsSource, _mean, _std)
        {
            SkippedFiles = SkippedFiles,
            ClassMapSource = ClassMapSource,
        };
    }

    /// <summary>Files in an image folder that were not images (by extension) and were skipped; 0 for other sources.</summary>
    public int SkippedFiles { get; init; }
    /// <summary>Where the class indices came from (e.g. "sorted folder names", a classes file, the model's metadata); null when unlabelled or from a labels file.</summary>
    public string? ClassMapSource { get; init; }

    /// <summary>The path the images were loaded from (file or folder), as the user gave it.</summary>
    public string Source { get; }
    /// <summary>The labels file, when labels came from a separate file; null otherwise.</summary>
    public string? LabelsSource { get; }
    /// <summary>Lower-case hex SHA-256 of the source bytes: the images file as stored (compressed if .gz); for an
    /// image folder, of every file's relative path and bytes in load order. Labels files are not included.</summary>
    public string Sha256 { get; }
    /// <summary>Number of images.</summary>
    public int N { get; }
    /// <summary>Channels per image.</summary>
    public int C { get; }
    /// <summary>Image height in pixels.</summary>
    public int H { get; }
    /// <summary>Image width in pixels.</summary>
    public int W { get; }
    /// <summary>Values per image (C·H·W).</summary>
    public int ImageSize => C * H * W;
    /// <summary>True when labels are present.</summary>
    public bool HasLabels => _labels is not null;
    /// <summary>The labels (length N), or null when the data has none.</summary>
    public IReadOnlyList<long>? Labels => _labels;
    /// <summary>Class names for image folders (index = label); null for other sources.</summary>
    public IReadOnlyList<string>? ClassNames { get; }
    /// <summary>The per-channel mean applied (length C), or null when not normalised.</summary>
    public IReadOnlyList<float>? Mean => _mean;
    /// <summary>The per-channel std applied (length C), or null when not normalised.</summary>
    public IReadOnlyList<float>? Std => _std;
    /// <summary>True when images were normalised with <see cref="Mean"/>/<see cref="Std"/>.</summary>
    public bool IsNormalized => _mean is not null;
    /// <summary>All pixels, N×C×H×W row-major.</summary>
    public ReadOnlySpan<float> Pixels => _pixels;

    /// <summary>The C×H×W pixels of image <paramref name="i"/>.</summary>
    public ReadOnlySpan<float> GetImage(int i)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(i);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(i, N);
        return _pixels.AsSpan(i * ImageSize, ImageSize);
    }

    /// <summary>The label of image <paramref name="i"/>; throws when the dataset has no labels.</summary>
    public long GetLabel(int i) => _labels is null
        ? throw new InvalidOperationException($"{Source}: the data has no labels")
        : _labels[i];

    /// <summary>Copies the given images into a new NCHW batch; dims are [n, C, H, W]; labels null when absent.</summary>
    public (float[] Data, long[] Dims, long[]? Labels) Batch(ReadOnlySpan<int> indices)
    {
        var size = ImageSize;
        var data = new float[indices.Length * size];
        var labels = _labels is null ? null : new long[indices.Length];
        for (var k = 0; k < indices.Length; k++)
        {
            GetImage(indices[k]).CopyTo(data.AsSpan(k * size, size));
            if (labels is not null) labels[k] = _labels![indices[k]];
        }
        return (data, [indices.Length, C, H, W], labels);
    }

    /// <summary>
    /// Like <see cref="Batch(ReadOnlySpan{int})"/> but with dims shaped for a model input (after <see cref="CheckFits"/>):
    /// rank 4 → [n, C, H, W]; rank 2 (flattened) → [n, C·H·W]; rank 3 → [n, H, W] for one channel.
    /// </summary>
    public (float[] Data, long[] Dims, long[]? Labels) Batch(ReadOnlySpan<int> indices, IReadOnlyList<long?> modelInputShape)
    {
        var (data, dims, labels) = Batch(indices);
        dims = modelInputShape.Count switch
        {
            2 => [indices.Length, ImageSize],
            3 => [indices.Length, H, W],
            _ => dims,
        };
        return (data, dims, labels);
    }

    /// <summary>Undoes the normalisation of one C×H×W image into [0,1] units (a copy when not normalised).</summary>
    public void ToUnitRange(ReadOnlySpan<float> image, Span<float> destination)
    {
        if (image.Length != ImageSize || destination.Length != ImageSize) throw new ArgumentException("image length must be C·H·W");
        var plane = H * W;
        for (var c = 0; c < C; c++)
        {
            float m = _mean?[c] ?? 0f, s = _std?[c] ?? 1f;
            for (var p = 0; p < plane; p++) destination[c * plane + p] = image[c * plane + p] * s + m;
        }
    }

    /// <summary>
    /// Checks that the images fit a model input of shape <paramref name="modelInputShape"/> (null = symbolic dim).
    /// Accepts NCHW (rank 4), [N, H, W] for one channel (rank 3) and flattened [N, C·H·W] (rank 2).
    /// </summary>
    /// <exception cref="DataFormatException">One line naming the data, its shape, the expected shape and the fix.</exception>
    public void CheckFits(IReadOnlyList<long?> modelInputShape, string modelName)
    {
        ArgumentNullException.ThrowIfNull(modelInputShape);
        var actual = Dims(C, H, W);
        switch (modelInputShape.Count)
        {
            case 4:
            {
                long? ec = modelInputShape[1], eh = modelInputShape[2], ew = modelInputShape[3];
                if (Fits(ec, C) && Fits(eh, H) && Fits(ew, W)) return;
                throw new DataFormatException(
                    $"{Source}: images are {actual} but model {modelName} expects {Dims(ec, eh, ew)} (NCHW); {Fix(ec, eh, ew)}");
            }
            case 3:
            {
                long? eh = modelInputShape[1], ew = modelInputShape[2];
                if (C == 1 && Fits(eh, H) && Fits(ew, W)) return;
                throw new DataFormatException(
                    $"{Source}: images are {actual} but model {modelName} expects {Dims(1, eh, ew)} (N×H×W, one channel); {Fix(1, eh, ew)}");
            }
            case 2:
            {
                var ed = modelInputShape[1];
                if (Fits(ed, ImageSize)) return;
                throw new DataFormatException(string.Create(CultureInfo.InvariantCulture,
                    $"{Source}: images are {actual} ({ImageSize} values) but model {modelName} expects {ed} values per image (flattened input N×{ed}); pass data made for this model."));
            }
            default:
                throw new DataFormatException(
                    $"{Source}: model {modelName} has an input of rank {modelInputShape.Count} ({string.Join("×", modelInputShape.Select(d => d?.ToString(CultureInfo.InvariantCulture) ?? "?"))}), not an image batch (N×C×H×W, N×H×W or N×D); audit a model whose input is an image batch.");
        }
    }

    private static bool Fits(long? expected, int actual) => expected is null or <= 0 || expected == actual;

    private static string Dims(long? c, long? h, long? w) =>
        string.Join("×", new[] { c, h, w }.Select(d => d is null or <= 0 ? "?" : d.Value.ToString(CultureInfo.InvariantCulture)));

    private string Fix(long? ec, long? eh, long? ew)
    {
        var channels = Fits(ec, C) ? null
            : ec == 1 && C == 3 ? "convert the images to grayscale"
            : ec == 3 && C == 1 ? "convert the images to RGB"
            : null;
        var size = Fits(eh, H) && Fits(ew, W) ? null : "resize the images";
        var what = string.Join(" and ", new[] { channels, size }.Where(s => s is not null));
        return (what.Length == 0 ? "pass" : what + " or pass") + " data made for this model.";
    }
}
