namespace OnnxAudit.Graph;

/// <summary>Attributes of a pooling layer with auto_pad resolved (same conventions as <see cref="ConvInfo"/>).
/// Global pools have the whole input as kernel, stride 1 and no padding.</summary>
/// <param name="Kernel">Window size per spatial axis.</param>
/// <param name="Strides">Stride per spatial axis.</param>
/// <param name="Dilations">Dilation per spatial axis.</param>
/// <param name="Pads">Resolved padding, begins then ends.</param>
/// <param name="AutoPad">The auto_pad attribute as written.</param>
/// <param name="CeilMode">ceil_mode (output size rounded up).</param>
/// <param name="IsGlobal">True for GlobalAveragePool / GlobalMaxPool / GlobalLpPool.</param>
/// <param name="InputSpatial">Input size per spatial axis (measured).</param>
/// <param name="OutputSpatial">Output size per spatial axis (measured).</param>
public sealed record PoolInfo(
    IReadOnlyList<long> Kernel,
    IReadOnlyList<long> Strides,
    IReadOnlyList<long> Dilations,
    IReadOnlyList<long> Pads,
    string AutoPad,
    bool CeilMode,
    bool IsGlobal,
    IReadOnlyList<long> InputSpatial,
    IReadOnlyList<long> OutputSpatial);
