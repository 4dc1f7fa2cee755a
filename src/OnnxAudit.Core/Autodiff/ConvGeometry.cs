using OnnxAudit.Graph;
using OnnxAudit.Onnx;
using Onnx;

namespace OnnxAudit.Autodiff;

/// <summary>Resolved 2-D window geometry of a Conv / pooling node: explicit pads, strides, dilations, kernel, output size.</summary>
internal sealed record ConvGeometry(long[] Kernel, long[] Strides, long[] Dilations, long[] PadsBegin, long[] PadsEnd, long[] Output)
{
    /// <summary>Effective kernel extent (k−1)·d+1 along axis i.</summary>
    public long Extent(int i) => (Kernel[i] - 1) * Dilations[i] + 1;

    /// <summary>ONNX pads order: begins then ends.</summary>
    public long[] Pads => [.. PadsBegin, .. PadsEnd];

    /// <summary>Resolves auto_pad / pads / ceil_mode for spatial input sizes <paramref name="input"/> (all concrete).</summary>
    public static ConvGeometry Resolve(NodeProto n, long[] input, long[] kernel, bool allowCeil)
    {
        var r = input.Length;
        var strides = NodeAttributes.Ints(n, "strides") ?? Enumerable.Repeat(1L, r).ToArray();
        var dil = NodeAttributes.Ints(n, "dilations") ?? Enumerable.Repeat(1L, r).ToArray();
        var pads = NodeAttributes.Ints(n, "pads") ?? new long[2 * r];
        var autoPad = NodeAttributes.Str(n, "auto_pad", "NOTSET");
        var ceil = allowCeil && NodeAttributes.Int(n, "ceil_mode", 0) != 0;
        var resolved = Window.ResolvePads(autoPad, input, kernel, strides, dil, pads);
        var pb = resolved[..r];
        var pe = resolved[r..];
        var output = new long[r];
        for (var i = 0; i < r; i++)
        {
            output[i] = autoPad is "SAME_UPPER" or "SAME_LOWER"
                ? (input[i] + strides[i] - 1) / strides[i]
                : Window.PoolOutputSize(input[i], kernel[i], strides[i], dil[i], pb[i], pe[i], ceil && autoPad != "VALID");
        }
        return new ConvGeometry(kernel, strides, dil, pb, pe, output);
    }
}
