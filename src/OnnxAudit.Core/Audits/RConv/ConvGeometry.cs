namespace OnnxAudit.Audits.RConv;

/// <summary>
/// The geometry of one Conv node for a single sample (batch dimension dropped). Layout NCHW; weights
/// [F, N/groups, Kh, Kw]. Pads are the resolved begin/end pads (auto_pad already applied).
/// </summary>
/// <param name="Name">The Conv node name (or its output name when the node is unnamed).</param>
/// <param name="WeightName">Initializer holding the weights.</param>
/// <param name="BiasName">Initializer holding the bias, or null.</param>
/// <param name="InChannels">N, input channels.</param>
/// <param name="OutChannels">F, filters.</param>
/// <param name="KernelH">Kh.</param>
/// <param name="KernelW">Kw.</param>
/// <param name="StrideH">Sh.</param>
/// <param name="StrideW">Sw.</param>
/// <param name="PadTop">Pad before the first row.</param>
/// <param name="PadLeft">Pad before the first column.</param>
/// <param name="PadBottom">Pad after the last row.</param>
/// <param name="PadRight">Pad after the last column.</param>
/// <param name="DilationH">Dilation along H.</param>
/// <param name="DilationW">Dilation along W.</param>
/// <param name="Groups">Groups G (N and F are multiples of G).</param>
/// <param name="InH">Input height H.</param>
/// <param name="InW">Input width W.</param>
/// <param name="OutH">Output height Oh.</param>
/// <param name="OutW">Output width Ow.</param>
public sealed record ConvGeometry(
    string Name, string WeightName, string? BiasName,
    int InChannels, int OutChannels, int KernelH, int KernelW, int StrideH, int StrideW,
    int PadTop, int PadLeft, int PadBottom, int PadRight, int DilationH, int DilationW, int Groups,
    int InH, int InW, int OutH, int OutW)
{
    /// <summary>Input channels seen by each filter (N / G).</summary>
    public int ChannelsPerGroup => InChannels / Groups;

    /// <summary>Filters per group (F / G).</summary>
    public int FiltersPerGroup => OutChannels / Groups;

    /// <summary>Output size along one axis: ⌊(in + pads − d·(k−1) − 1)/s⌋ + 1 (ONNX Conv, explicit pads).</summary>
    public static int OutputSize(int input, int kernel, int stride, int padBegin, int padEnd, int dilation)
        => (int)OnnxAudit.Graph.Window.OutputSize(input, kernel, stride, dilation, padBegin, padEnd, ceilMode: false);

    /// <summary>Builds a geometry computing Oh×Ow from the other fields; validates divisibility by groups.</summary>
    public static ConvGeometry Create(string name, string weightName, string? biasName, int inChannels, int outChannels,
        int kernelH, int kernelW, int strideH, int strideW, int padTop, int padLeft, int padBottom, int padRight,
        int dilationH, int dilationW, int groups, int inH, int inW)
    {
        if (groups < 1 || inChannels % groups != 0 || outChannels % groups != 0)
            throw new ArgumentException($"conv '{name}': groups {groups} must divide input channels {inChannels} and filters {outChannels}");
        var oh = OutputSize(inH, kernelH, strideH, padTop, padBottom, dilationH);
        var ow = OutputSize(inW, kernelW, strideW, padLeft, padRight, dilationW);
        if (oh < 1 || ow < 1) throw new ArgumentException($"conv '{name}': output {oh}x{ow} is empty for input {inH}x{inW}");
        return new ConvGeometry(name, weightName, biasName, inChannels, outChannels, kernelH, kernelW, strideH, strideW,
            padTop, padLeft, padBottom, padRight, dilationH, dilationW, groups, inH, inW, oh, ow);
    }

    /// <summary>Maps the graph analyzer's <see cref="OnnxAudit.Graph.ConvInfo"/> of a 2-D Conv (auto_pad resolved) onto a geometry.</summary>
    public static ConvGeometry FromConvInfo(string name, OnnxAudit.Graph.ConvInfo c)
    {
        ArgumentNullException.ThrowIfNull(c);
        if (c.Kernel.Count != 2)
            throw new OnnxAudit.Errors.UnsupportedOperatorException($"conv '{name}' has {c.Kernel.Count} spatial axes; R-CONV handles 2-D convolutions only");
        return Create(name, c.WeightName, c.BiasName, (int)c.InChannels, (int)c.OutChannels, (int)c.KernelH, (int)c.KernelW,
            (int)c.StrideH, (int)c.StrideW, (int)c.Pads[0], (int)c.Pads[1], (int)c.Pads[2], (int)c.Pads[3],
            (int)c.DilationH, (int)c.DilationW, (int)c.Groups, (int)c.InputH, (int)c.InputW);
    }
}
