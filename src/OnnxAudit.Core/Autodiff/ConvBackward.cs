using static OnnxAudit.Onnx.NodeAttributes;

namespace OnnxAudit.Autodiff;

/// <summary>Shared 2-D convolution backward building blocks (used by Conv, ConvTranspose and AveragePool).</summary>
internal static class ConvBackward
{
    /// <summary>
    /// Gradient of a 2-D convolution's weight [F, C/g, kh, kw] given its input <paramref name="x"/> [N, C, H, W] and the
    /// output gradient <paramref name="dy"/> [N, F, Ho, Wo]:
    /// dW[f,c,i,j] = Σ_n Σ_{p,q} dy[n,f,p,q] · x̃[n, c, i·d + p·s, j·d + q·s] (x̃ zero-padded).
    /// Emitted as one Conv with batch and channels swapped: input x' [C/g, g·N, H, W], weight dy' [F, N, Ho, Wo],
    /// group g, strides = the forward dilations, dilations = the forward strides, same pads; the result
    /// [C/g, F, K'h, K'w] (K' ≥ k) is cropped to k and transposed to [F, C/g, kh, kw].
    /// </summary>
    public static string WeightGrad(GraphEmitter e, string x, long[] xShape, string dy, long group, ConvGeometry geo)
    {
        var c = xShape[1];
        var cg = c / group;
        string xt;
        if (group == 1)
        {
            xt = e.Transpose(x, 1, 0, 2, 3);
        }
        else
        {
            // why: grouped conv needs channel blocks ordered (group, batch) so each output-channel group sees its own inputs.
            // why: in a second-order graph the batch can sit in the channel axis (x = [1, g·N, H, W] of a weight-gradient
            // Conv), so cg may be the symbolic one; exactly one dimension of each Reshape is then −1.
            var r5 = e.Reshape(x, OneSymbolic([xShape[0], group, cg, xShape[2], xShape[3]]));
            var t5 = e.Transpose(r5, 2, 1, 0, 3, 4);
            xt = e.Reshape(t5, OneSymbolic([cg, xShape[0] < 0 ? -1 : group * xShape[0], xShape[2], xShape[3]]));
        }
        var wt = e.Transpose(dy, 1, 0, 2, 3);
        var r = e.Op("Conv", [xt, wt],
            MakeInts("strides", geo.Dilations), MakeInts("dilations", geo.Strides), MakeInts("pads", geo.Pads), MakeInt("group", group));
        // K' = floor((H + pads − ((Ho−1)·s + 1)) / d) + 1 along each axis
        var crop = false;
        for (var i = 0; i < 2; i++)
        {
            var kPrime = (xShape[i + 2] + geo.PadsBegin[i] + geo.PadsEnd[i] - ((geo.Output[i] - 1) * geo.Strides[i] + 1)) / geo.Dilations[i] + 1;
            if (kPrime != geo.Kernel[i]) crop = true;
        }
        if (crop) r = e.Slice(r, [0, 0], [geo.Kernel[0], geo.Kernel[1]], [2, 3]);
        return e.Transpose(r, 1, 0, 2, 3);
    }

    private static long[] OneSymbolic(long[] dims)
    {
        if (dims.Count(d => d < 0) > 1)
            throw new GradientBuildException($"internal: grouped convolution backward needs a reshape to [{string.Join(", ", dims)}] with more than one symbolic dimension");
        return [.. dims.Select(d => d < 0 ? -1 : d)];
    }

    /// <summary>
    /// Transposed convolution of <paramref name="dy"/> [N, F, Ho, Wo] with weight <paramref name="w"/> that restores the
    /// forward input size <paramref name="inputSpatial"/>: output_padding = H + pads − ((Ho−1)·s + (k−1)·d + 1), which is in [0, s).
    /// </summary>
    public static string InputGradViaConvTranspose(GraphEmitter e, string dy, string w, long[] inputSpatial, long group, ConvGeometry geo)
    {
        var op = new long[2];
        for (var i = 0; i < 2; i++)
        {
            op[i] = inputSpatial[i] + geo.PadsBegin[i] + geo.PadsEnd[i] - ((geo.Output[i] - 1) * geo.Strides[i] + geo.Extent(i));
            if (op[i] < 0) throw new GradientBuildException($"internal: negative output_padding {op[i]} in convolution backward");
        }
        var attrs = new List<global::Onnx.AttributeProto>
        {
            MakeInts("strides", geo.Strides), MakeInts("dilations", geo.Dilations), MakeInts("pads", geo.Pads), MakeInt("group", group),
        };
        if (op.Any(v => v != 0)) attrs.Add(MakeInts("output_padding", op));
        return e.Op("ConvTranspose", [dy, w], [.. attrs]);
    }
}
