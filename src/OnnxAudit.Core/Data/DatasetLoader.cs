using System.Globalization;
using System.Security.Cryptography;
using OnnxAudit.Errors;
using OnnxAudit.Imaging;

namespace OnnxAudit.Data;

/// <summary>
/// Loads a <see cref="Dataset"/> from a path, choosing the reader from it: a directory → PNG image folder
/// (ImageFolder layout: one sub-folder per class, class index = ordinal-sorted folder order); <c>.npy</c> → NumPy;
/// anything else whose bytes start with the NumPy, gzip or IDX magic → that format. Stateless and thread-safe.
/// </summary>
public static class DatasetLoader
{
    /// <summary>Loads the images (and labels when found) at <paramref name="path"/>.</summary>
    /// <exception cref="DataFormatException">One-line message naming the file, the problem and the fix.</exception>
    public static Dataset Load(string path, DataOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        options ??= DataOptions.Default;
        ValidateOptions(options);
        if (Directory.Exists(path)) return LoadImageFolder(path, options);
        DataFiles.RequireFile(path, "an image data file (.npy, IDX idx3-ubyte[.gz]) or a folder of PNG files");
        if (path.EndsWith(".npy", StringComparison.OrdinalIgnoreCase)) return LoadNpy(path, options);
        Span<byte> head = stackalloc byte[6];
        int read;
        using (var fs = File.OpenRead(path)) read = fs.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        head = head[..read];
        if (read >= 6 && head[0] == 0x93 && head[1] == (byte)'N') return LoadNpy(path, options);
        if (IdxReader.IsGzip(head) || (read >= 4 && head[0] == 0 && head[1] == 0) || path.Contains("idx", StringComparison.OrdinalIgnoreCase))
        {
            return LoadIdx(path, options);
        }
        throw new DataFormatException($"{path}: unrecognised data format (not .npy, IDX or gzip-compressed IDX); pass a .npy array, an MNIST-style idx3-ubyte[.gz] file or a folder of PNG files.");
    }

    /// <summary>Loads MNIST-style IDX images (idx3-ubyte, optional gzip) plus labels found by naming or given.</summary>
    public static Dataset LoadIdx(string path, DataOptions? options = null)
    {
        options ??= DataOptions.Default;
        ValidateOptions(options);
        var images = IdxReader.Read(path, 3, out var fileBytes);
        int n = images.Dims[0], h = images.Dims[1], w = images.Dims[2];
        var labelsPath = options.LabelsPath ?? IdxReader.FindLabelsFor(path);
        long[]? labels = null;
        if (labelsPath is not null)
        {
            labels = ReadLabels(labelsPath, n, path);
        }
        return Build(path, images.Data, n, 1, h, w, channelsLast: false, labels, Hash(fileBytes), options, labelsPath);
    }

    /// <summary>
    /// Loads a .npy image array: uint8 (scaled by 1/255) or float (taken as is; must lie in [0,1] within
    /// <see cref="DataOptions.RangeTolerance"/>, small excursions are clamped). Shapes N×H×W (gray), N×C×H×W or N×H×W×C.
    /// Labels from <see cref="DataOptions.LabelsPath"/> or <c>X.labels.npy</c> beside <c>X.npy</c>.
    /// </summary>
    public static Dataset LoadNpy(string path, DataOptions? options = null)
    {
        options ??= DataOptions.Default;
        ValidateOptions(options);
        var fileBytes = ReadAll(path);
        var array = NpyReader.Parse(fileBytes, path);
        var s = array.Shape;
        int n, c, h, w;
        bool channelsLast;
        switch (s.Length)
        {
            case 3:
                (n, c, h, w, channelsLast) = (ToInt(s[0], path), 1, ToInt(s[1], path), ToInt(s[2], path), false);
                break;
            case 4:
                channelsLast = options.Layout switch
                {
                    DataLayout.Nhwc => true,
                    DataLayout.Nchw => false,
                    // why: layout rule — channels-last when the last dim looks like channels (1 or 3) and the
                    // second does not; an ambiguous N×3×H×3 array stays NCHW (force with DataOptions.Layout).
                    _ => s[3] is 1 or 3 && s[1] is not (1 or 3),
                };
                n = ToInt(s[0], path);
                (c, h, w) = channelsLast
                    ? (ToInt(s[3], path), ToInt(s[1], path), ToInt(s[2], path))
                    : (ToInt(s[1], path), ToInt(s[2], path), ToInt(s[3], path));
                break;
            default:
                throw new DataFormatException(
                    $"{path}: array has shape ({string.Join(", ", s)}) but images must be N×H×W, N×C×H×W or N×H×W×C; reshape it (e.g. a.reshape(-1, 1, 28, 28)) and save it again.");
        }
        if (n == 0 || c == 0 || h == 0 || w == 0)
        {
            throw new DataFormatException($"{path}: array of shape ({string.Join(", ", s)}) holds no images; pass a non-empty array.");
        }

        var labelsPath = options.LabelsPath;
        if (labelsPath is null)
        {
            var sibling = Path.Combine(Path.GetDirectoryName(path) ?? "", Path.GetFileNameWithoutExtension(path) + ".labels.npy");
            if (File.Exists(sibling)) labelsPath = sibling;
        }
        long[]? labels = labelsPath is null ? null : ReadLabels(labelsPath, n, path);
        var hash = Hash(fileBytes);

        if (array.DType is { Kind: 'u', ItemSize: 1 })
        {
            return Build(path, array.RawBytes.ToArray(), n, c, h, w, channelsLast, labels, hash, options, labelsPath);
        }
        if (!array.IsFloat)
        {
            throw new DataFormatException(
                $"{path}: images have dtype {array.DType.Descr} but uint8 (0–255) or float32/float64 (0–1) was expected; save them with a.astype(np.uint8) or (a / 255).astype(np.float32).");
        }
        var values = array.ToFloat32();
        CheckRange(values, path, options.RangeTolerance);
        return Build(path, values, n, c, h, w, channelsLast, labels, hash, options, labelsPath);
    }

    /// <summary>
    /// Loads a folder in ImageFolder layout: each sub-folder is a class (index = ordinal-sorted order of folder names),
    /// each PNG, JPEG, WebP, BMP or GIF file in it an image (ordinal-sorted; GIF: first frame). All images must have the same size; if any is colour,
    /// gray images are replicated to RGB; alpha is dropped.
    /// </summary>
    public static Dataset LoadImageFolder(string path, DataOptions? options = null)
    {
        options ??= DataOptions.Default;
        ValidateOptions(options);
        if (!Directory.Exists(path))
        {
            throw new DataFormatException($"{path}: folder not found; pass a folder with one sub-folder of image files per class.");
        }
        var pre = options.Preprocess ?? Preprocessing.None;
        var classDirs = Directory.GetDirectories(path).Order(StringComparer.Ordinal).ToArray();
        if (classDirs.Length == 0)
        {
            throw new DataFormatException($"{path}: folder has no class sub-folders; arrange the image files as {path}/<class>/<image>.png (or .jpg, .webp, .bmp, .gif).");
        }
        var folderNames = classDirs.Select(d => Path.GetFileName(d)!).ToArray();
        var (classIndex, classNames, mapSource) = ClassMap.ForFolders(folderNames, path, pre.ClassesPath, options.ModelClassNames);
        var files = new List<(string File, int Label)>();
        var skipped = 0;
        for (var k = 0; k < classDirs.Length; k++)
        {
            if (Directory.GetDirectories(classDirs[k]).FirstOrDefault() is { } nested)
            {
                throw new DataFormatException($"{nested}: nested folder inside class folder {classDirs[k]}; ImageFolder layout is one level deep — move the images up to {path}/<class>/<image>, or point --data at the inner folder.");
            }
            foreach (var f in Directory.GetFiles(classDirs[k]).Order(StringComparer.Ordinal))
            {
                if (IsImageFile(f)) files.Add((f, classIndex[k]));
                else skipped++;
            }
        }
        if (files.Count == 0)
        {
            throw new DataFormatException($"{path}: no image files (.png, .jpg, .jpeg, .webp, .bmp, .gif) in its class sub-folders; arrange them as {path}/<class>/<image>.png.");
        }
        if (options.Limit is { } limit && files.Count > limit) files = files.GetRange(0, limit);

        var decoded = new PngImage[files.Count];
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        for (var i = 0; i < files.Count; i++)
        {
            var bytes = ReadAll(files[i].File);
            sha.AppendData(System.Text.Encoding.UTF8.GetBytes(Path.GetRelativePath(path, files[i].File).Replace('\\', '/') + "\n"));
            sha.AppendData(bytes);
            decoded[i] = ImageDecoder.Decode(bytes, files[i].File);
            if (!pre.TransformsImages && (decoded[i].Width != decoded[0].Width || decoded[i].Height != decoded[0].Height))
            {
                throw new DataFormatException(string.Create(CultureInfo.InvariantCulture,
                    $"{files[i].File}: image is {decoded[i].Width}×{decoded[i].Height} but {files[0].File} is {decoded[0].Width}×{decoded[0].Height}; pass --resize N (and --center-crop H,W) to bring every image to one size."));
            }
        }
        var c = pre.Channels ?? (decoded.Any(im => im.Channels >= 3) ? 3 : 1);
        float[]? pixels = null;
        int h = 0, w = 0;
        for (var i = 0; i < decoded.Length; i++)
        {
            var im = decoded[i];
            var srcC = im.Channels >= 3 ? 3 : 1;
            var plane = im.Width * im.Height;
            var chw = new float[srcC * plane];
            for (var p = 0; p < plane; p++)
            {
                // why: alpha is ignored (as PIL's convert("RGB") does for opaque images).
                for (var ch = 0; ch < srcC; ch++) chw[ch * plane + p] = im.Pixels[p * im.Channels + ch] / 255f;
            }
            var (img, ic, ih, iw) = ImageTransforms.Apply(chw, srcC, im.Height, im.Width, pre with { Channels = c }, eightBit: true, files[i].File);
            if (i == 0)
            {
                (h, w) = (ih, iw);
                pixels = new float[checked(decoded.Length * c * h * w)];
            }
            else if (ih != h || iw != w)
            {
                throw new DataFormatException(string.Create(CultureInfo.InvariantCulture,
                    $"{files[i].File}: image is {iw}×{ih} after preprocessing but {files[0].File} is {w}×{h}; add --center-crop H,W (e.g. --center-crop {Math.Min(h, ih)},{Math.Min(w, iw)}) so every image has one size."));
            }
            img.AsSpan().CopyTo(pixels.AsSpan(i * ic * h * w, ic * h * w));
        }
        var labels = files.Select(f => (long)f.Label).ToArray();
        var dataset = Finish(path, pixels!, files.Count, files.Count, c, h, w, channelsLast: false, labels, Convert.ToHexStringLower(sha.GetHashAndReset()),
            options with { Limit = null, Preprocess = null }, labelsSource: pre.ClassesPath, classNames);
        return new Dataset(dataset, skipped, mapSource);
    }

    private static bool IsImageFile(string file) =>
        ImageDecoder.Extensions.Contains(Path.GetExtension(file).ToLowerInvariant());

    /// <summary>Reads labels (IDX idx1 or .npy integer array of shape (N) or (N, 1)) and checks the count.</summary>
    internal static long[] ReadLabels(string labelsPath, int n, string imagesPath)
    {
        long[] labels;
        if (labelsPath.EndsWith(".npy", StringComparison.OrdinalIgnoreCase))
        {
            var a = NpyReader.Read(labelsPath);
            if (!(a.Shape.Length == 1 || (a.Shape.Length == 2 && a.Shape[1] == 1)))
            {
                throw new DataFormatException(
                    $"{labelsPath}: labels have shape ({string.Join(", ", a.Shape)}) but a vector of N = {n} class indices was expected; save np.asarray(labels, dtype=np.int64).ravel().");
            }
            if (!a.IsInteger)
            {
                throw new DataFormatException(
                    $"{labelsPath}: labels have dtype {a.DType.Descr} but integer class indices were expected; save labels.astype(np.int64) (not one-hot or float).");
            }
            labels = a.ToInt64();
        }
        else
        {
            var idx = IdxReader.Read(labelsPath, 1, out _);
            labels = idx.Data.Select(b => (long)b).ToArray();
        }
        if (labels.Length != n)
        {
            throw new DataFormatException(string.Create(CultureInfo.InvariantCulture,
                $"{labelsPath}: has {labels.Length} labels but {imagesPath} has {n} images; pass the labels file that belongs to these images."));
        }
        for (var i = 0; i < labels.Length; i++)
        {
            if (labels[i] < 0)
            {
                throw new DataFormatException(string.Create(CultureInfo.InvariantCulture,
                    $"{labelsPath}: label {i} is negative ({labels[i]}); labels must be class indices 0, 1, 2, …"));
            }
        }
        return labels;
    }

    private static Dataset Build(string source, byte[] pixels, int n, int c, int h, int w, bool channelsLast, long[]? labels,
        string sha256, DataOptions options, string? labelsSource, IReadOnlyList<string>? classNames = null)
    {
        var keep = Math.Min(n, options.Limit ?? n);
        var size = c * h * w;
        var result = new float[checked(keep * size)];
        // why: uint8 pixels map to [0,1] by x/255 (the torchvision ToTensor convention).
        for (var i = 0; i < result.Length; i++) result[i] = pixels[i] / 255f;
        return Finish(source, result, n, keep, c, h, w, channelsLast, labels, sha256, options, labelsSource, classNames);
    }

    private static Dataset Build(string source, float[] values, int n, int c, int h, int w, bool channelsLast, long[]? labels,
        string sha256, DataOptions options, string? labelsSource)
    {
        var keep = Math.Min(n, options.Limit ?? n);
        var result = keep == n ? values : values.AsSpan(0, keep * c * h * w).ToArray();
        return Finish(source, result, n, keep, c, h, w, channelsLast, labels, sha256, options, labelsSource, null, eightBit: false);
    }

    private static Dataset Finish(string source, float[] pixels, int n, int keep, int c, int h, int w, bool channelsLast,
        long[]? labels, string sha256, DataOptions options, string? labelsSource, IReadOnlyList<string>? classNames, bool eightBit = true)
    {
        if (channelsLast) pixels = HwcToChw(pixels, keep, c, h, w);
        if (labels is not null && keep < n) labels = labels[..keep];
        if (options.Preprocess is { TransformsImages: true } pre)
        {
            (pixels, c, h, w) = TransformAll(pixels, keep, c, h, w, pre, eightBit, source);
        }
        if (options.Preprocess?.ClassesPath is { } classesPath) classNames = ClassMap.ReadNames(classesPath);
        float[]? mean = null, std = null;
        if (options.Mean is not null && options.Std is not null)
        {
            mean = Expand(options.Mean, c, "mean", source);
            std = Expand(options.Std, c, "std", source);
            var plane = h * w;
            for (var i = 0; i < keep; i++)
            {
                for (var ch = 0; ch < c; ch++)
                {
                    var s = pixels.AsSpan((i * c + ch) * plane, plane);
                    float m = mean[ch], inv = 1f / std[ch];
                    for (var p = 0; p < s.Length; p++) s[p] = (s[p] - m) * inv;
                }
            }
        }
        return new Dataset(source, pixels, keep, c, h, w, labels, sha256, classNames, labelsSource, mean, std);
    }

    private static (float[] Pixels, int C, int H, int W) TransformAll(float[] pixels, int n, int c, int h, int w, Preprocessing pre, bool eightBit, string source)
    {
        float[]? result = null;
        int oc = 0, oh = 0, ow = 0;
        var size = c * h * w;
        for (var i = 0; i < n; i++)
        {
            var (img, ic, ih, iw) = ImageTransforms.Apply(pixels.AsSpan(i * size, size).ToArray(), c, h, w, pre, eightBit, source);
            if (result is null)
            {
                (oc, oh, ow) = (ic, ih, iw);
                result = new float[checked(n * ic * ih * iw)];
            }
            img.AsSpan().CopyTo(result.AsSpan(i * img.Length, img.Length));
        }
        return (result!, oc, oh, ow);
    }

    private static float[] HwcToChw(float[] src, int n, int c, int h, int w)
    {
        var dst = new float[src.Length];
        var plane = h * w;
        for (var i = 0; i < n; i++)
        {
            var baseIdx = i * c * plane;
            for (var p = 0; p < plane; p++)
            {
                for (var ch = 0; ch < c; ch++) dst[baseIdx + ch * plane + p] = src[baseIdx + p * c + ch];
            }
        }
        return dst;
    }

    private static float[] Expand(IReadOnlyList<float> v, int c, string what, string source)
    {
        if (v.Count != 1 && v.Count != c)
        {
            throw new DataFormatException(string.Create(CultureInfo.InvariantCulture,
                $"{source}: normalisation {what} has {v.Count} values but the images have {c} channel(s); give 1 or {c} values."));
        }
        return Enumerable.Range(0, c).Select(i => v[v.Count == 1 ? 0 : i]).ToArray();
    }

    private static void ValidateOptions(DataOptions options)
    {
        if ((options.Mean is null) != (options.Std is null))
        {
            throw new DataFormatException("normalisation: mean and std must be given together; pass both (e.g. --mean 0.5 --std 0.5) or neither.");
        }
        if (options.Std is not null && options.Std.Any(s => !(s > 0) || !float.IsFinite(s)))
        {
            throw new DataFormatException($"normalisation: std values must be positive and finite (got {string.Join(", ", options.Std.Select(s => s.ToString(CultureInfo.InvariantCulture)))}); pass positive std values.");
        }
        if (options.Limit is < 1)
        {
            throw new DataFormatException(string.Create(CultureInfo.InvariantCulture, $"limit: {options.Limit} images requested; pass a limit of at least 1."));
        }
    }

    private static void CheckRange(float[] values, string path, float tol)
    {
        for (var i = 0; i < values.Length; i++)
        {
            var v = values[i];
            if (v is >= 0f and <= 1f) continue;
            if (float.IsNaN(v) || float.IsInfinity(v))
            {
                throw new DataFormatException(string.Create(CultureInfo.InvariantCulture,
                    $"{path}: element {i} is {v}; images must be finite values in [0,1], remove or replace the bad values."));
            }
            if (v >= -tol && v <= 1 + tol)
            {
                values[i] = Math.Clamp(v, 0f, 1f);
                continue;
            }
            var max = values.Max();
            var min = values.Min();
            // why: normalisation is the tool's job (DataOptions.Mean/Std) so audits can map images back to [0,1] for
            // PSNR/SSIM; float data must therefore be un-normalised pixels in [0,1].
            var fix = max > 1 + tol && max <= 255 && min >= 0
                ? "the values look like 0–255 pixels: divide by 255 or save them as uint8"
                : "save un-normalised pixels in [0,1] and pass the normalisation as mean/std options";
            throw new DataFormatException(string.Create(CultureInfo.InvariantCulture,
                $"{path}: float images must lie in [0,1] but values range over [{min:G6}, {max:G6}] (element {i} is {v:G6}); {fix}."));
        }
    }

    private static int ToInt(long d, string path) => d <= int.MaxValue
        ? (int)d
        : throw new DataFormatException($"{path}: dimension {d} is too large; split the data into smaller files.");

    private static byte[] ReadAll(string path)
    {
        DataFiles.RequireFile(path, "a data file");
        try
        {
            return File.ReadAllBytes(path);
        }
        catch (IOException e)
        {
            throw new DataFormatException($"{path}: cannot be read ({e.Message}); check the path and permissions.", e);
        }
    }

    private static string Hash(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));
}
