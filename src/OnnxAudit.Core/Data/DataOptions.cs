namespace OnnxAudit.Data;

/// <summary>How a 4-D image array is laid out in a file.</summary>
public enum DataLayout
{
    /// <summary>Detect: NHWC when the last dimension is 1 or 3 and the second is not; NCHW otherwise.</summary>
    Auto,
    /// <summary>Batch, channels, height, width.</summary>
    Nchw,
    /// <summary>Batch, height, width, channels.</summary>
    Nhwc,
}

/// <summary>
/// Options for <see cref="DatasetLoader.Load"/>. Immutable.
/// </summary>
/// <param name="Mean">Per-channel mean for normalisation (length 1 or C), applied after scaling to [0,1] as
/// (x − mean[c]) / std[c]; null = no normalisation. Must be given together with <paramref name="Std"/>.</param>
/// <param name="Std">Per-channel standard deviation (length 1 or C, all &gt; 0); null = no normalisation.</param>
/// <param name="Layout">Layout of 4-D .npy arrays; <see cref="DataLayout.Auto"/> detects it.</param>
/// <param name="LabelsPath">Explicit labels file (.npy or IDX idx1); null = look next to the images
/// (<c>X.labels.npy</c> for <c>X.npy</c>; <c>*-labels-idx1-ubyte[.gz]</c> for <c>*-images-idx3-ubyte[.gz]</c>).</param>
/// <param name="Limit">Keep only the first <c>Limit</c> images (null = all).</param>
/// <param name="RangeTolerance">Float images must lie in [−tol, 1+tol]; values inside that band are clamped to [0,1].</param>
/// <param name="Preprocess">Resize, centre crop, channels and class map applied while loading (its mean/std is not applied
/// to the data: the pipeline folds it into the graph); null = none.</param>
/// <param name="ModelClassNames">Class names the model declares (metadata_props), index = class; image folders whose folder
/// names all match them get those indices. Null = none.</param>
public sealed record DataOptions(
    IReadOnlyList<float>? Mean = null,
    IReadOnlyList<float>? Std = null,
    DataLayout Layout = DataLayout.Auto,
    string? LabelsPath = null,
    int? Limit = null,
    float RangeTolerance = 1e-3f,
    Preprocessing? Preprocess = null,
    IReadOnlyList<string>? ModelClassNames = null)
{
    /// <summary>No normalisation, automatic layout, labels found next to the data, all images.</summary>
    public static DataOptions Default { get; } = new();
}
