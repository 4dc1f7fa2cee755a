namespace OnnxAudit.Graph;

/// <summary>Sliding-window geometry shared by Conv and pooling (ONNX operator spec conventions): the one place that
/// resolves auto_pad and computes output sizes, used by the graph analyzer, the gradient rules and R-CONV. Stateless.</summary>
public static class Window
{
    /// <summary>The second-to-last entry (height for 2-D), 1 when there is none.</summary>
    public static long H(IReadOnlyList<long> v) => v.Count >= 2 ? v[^2] : 1;

    /// <summary>The last entry (width), 1 when empty.</summary>
    public static long W(IReadOnlyList<long> v) => v.Count >= 1 ? v[^1] : 1;

    /// <summary>
    /// Resolves the padding [begin_1 … begin_n, end_1 … end_n] for auto_pad. SAME_*: output = ceil(in / stride),
    /// total = max(0, (out − 1)·stride + (k − 1)·dilation + 1 − in); SAME_UPPER puts the odd pixel at the end,
    /// SAME_LOWER at the beginning. VALID: no padding. NOTSET: the pads attribute (zeros when absent).
    /// </summary>
    public static long[] ResolvePads(string autoPad, IReadOnlyList<long> input, IReadOnlyList<long> kernel, IReadOnlyList<long> strides, IReadOnlyList<long> dilations, IReadOnlyList<long>? pads)
    {
        var r = kernel.Count;
        var result = new long[2 * r];
        switch (autoPad)
        {
            case "SAME_UPPER":
            case "SAME_LOWER":
                for (var i = 0; i < r; i++)
                {
                    var outSize = (input[i] + strides[i] - 1) / strides[i];
                    var total = Math.Max(0, (outSize - 1) * strides[i] + (kernel[i] - 1) * dilations[i] + 1 - input[i]);
                    var small = total / 2;
                    // why: the ONNX spec says SAME_UPPER adds the extra padding at the end, SAME_LOWER at the beginning.
                    result[i] = autoPad == "SAME_UPPER" ? small : total - small;
                    result[i + r] = total - result[i];
                }
                return result;
            case "VALID":
                return result;
            default:
                if (pads is { Count: > 0 })
                {
                    for (var i = 0; i < Math.Min(pads.Count, 2 * r); i++) result[i] = pads[i];
                }
                return result;
        }
    }

    /// <summary>Output size along one axis: floor (or ceil) of (in + pb + pe − ((k − 1)·d + 1)) / s, plus 1.</summary>
    public static long OutputSize(long input, long kernel, long stride, long dilation, long padBegin, long padEnd, bool ceilMode)
    {
        var span = input + padBegin + padEnd - ((kernel - 1) * dilation + 1);
        if (span < 0) return 0;
        return (ceilMode ? (span + stride - 1) / stride : span / stride) + 1;
    }

    /// <summary>
    /// Output size with ceil_mode as ONNX Runtime and PyTorch compute it: like <see cref="OutputSize"/>, but with ceil_mode
    /// a last window that would start in the end padding is dropped.
    /// </summary>
    public static long PoolOutputSize(long input, long kernel, long stride, long dilation, long padBegin, long padEnd, bool ceilMode)
    {
        var output = OutputSize(input, kernel, stride, dilation, padBegin, padEnd, ceilMode);
        // why: PyTorch/ONNX rule: the last window must start inside the input or the begin padding.
        if (ceilMode && (output - 1) * stride >= input + padBegin) output--;
        return output;
    }
}
