namespace OnnxAudit.Graph;

/// <summary>
/// Attributes of a convolution with auto_pad resolved. Spatial lists are in ONNX order (for 2-D: [H, W]);
/// <see cref="Pads"/> is [begin_1 … begin_n, end_1 … end_n] (for 2-D: [top, left, bottom, right]).
/// </summary>
/// <param name="Kernel">Kernel size per spatial axis.</param>
/// <param name="Strides">Stride per spatial axis.</param>
/// <param name="Dilations">Dilation per spatial axis.</param>
/// <param name="Pads">Resolved padding, begins then ends.</param>
/// <param name="AutoPad">The auto_pad attribute as written ("NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID").</param>
/// <param name="Groups">The group attribute.</param>
/// <param name="InChannels">Input channels (weight dim 1 × groups).</param>
/// <param name="OutChannels">Output channels (weight dim 0).</param>
/// <param name="InputSpatial">Input size per spatial axis (measured).</param>
/// <param name="OutputSpatial">Output size per spatial axis (computed from the attributes; checked against the measured shape).</param>
/// <param name="WeightName">Weight initializer ("" when computed at run time).</param>
/// <param name="BiasName">Bias initializer, or null.</param>
public sealed record ConvInfo(
    IReadOnlyList<long> Kernel,
    IReadOnlyList<long> Strides,
    IReadOnlyList<long> Dilations,
    IReadOnlyList<long> Pads,
    string AutoPad,
    long Groups,
    long InChannels,
    long OutChannels,
    IReadOnlyList<long> InputSpatial,
    IReadOnlyList<long> OutputSpatial,
    string WeightName,
    string? BiasName)
{
    /// <summary>Kernel height (second-to-last spatial axis; 1 for 1-D).</summary>
    public long KernelH => Window.H(Kernel);
    /// <summary>Kernel width (last spatial axis).</summary>
    public long KernelW => Window.W(Kernel);
    /// <summary>Vertical stride.</summary>
    public long StrideH => Window.H(Strides);
    /// <summary>Horizontal stride.</summary>
    public long StrideW => Window.W(Strides);
    /// <summary>Vertical dilation.</summary>
    public long DilationH => Window.H(Dilations);
    /// <summary>Horizontal dilation.</summary>
    public long DilationW => Window.W(Dilations);
    /// <summary>Input height.</summary>
    public long InputH => Window.H(InputSpatial);
    /// <summary>Input width.</summary>
    public long InputW => Window.W(InputSpatial);
    /// <summary>Output height.</summary>
    public long OutputH => Window.H(OutputSpatial);
    /// <summary>Output width.</summary>
    public long OutputW => Window.W(OutputSpatial);
}
