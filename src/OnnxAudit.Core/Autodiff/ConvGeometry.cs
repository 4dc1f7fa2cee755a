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
        var pb = new long[r];
        var pe = new long[r];
        var output = new long[r];
        for (var i = 0; i < r; i++)
        {
            var ext = (kernel[i] - 1) * dil[i] + 1;
            if (autoPad is "SAME_UPPER" or "SAME_LOWER")
            {
                output[i] = (input[i] + strides[i] - 1) / strides[i];
                var total = Math.Max(0, (output[i] - 1) * strides[i] + ext - input[i]);
                var small = total / 2;
                (pb[i], pe[i]) = autoPad == "SAME_UPPER" ? (small, total - small) : (total - small, small);
            }
            else if (autoPad == "VALID")
            {
                output[i] = (input[i] - ext) / strides[i] + 1;
            }
            else
            {
                pb[i] = pads[i];
                pe[i] = pads[i + r];
                var span = input[i] + pb[i] + pe[i] - ext;
                if (ceil)
                {
                    output[i] = (span + strides[i] - 1) / strides[i] + 1;
                    // why: PyTorch/ONNX rule: the last window must start inside the input or the begin padding.
                    if ((output[i] - 1) * strides[i] >= input[i] + pb[i]) output[i]--;
                }
                else
                {
                    output[i] = span / strides[i] + 1;
                }
            }
        }
        return new ConvGeometry(kernel, strides, dil, pb, pe, output);
    }
}
