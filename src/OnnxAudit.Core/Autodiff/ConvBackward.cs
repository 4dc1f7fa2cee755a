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
    /// [C/g, F, K'h, K'w] (K' ≥ k) is cropped to k and transposed to [F, C/g, kh, kw]. When
    /// <paramref name="outChannels"/> F is given, is below C and the geometry allows it (stride 1, dilation 1, group 1),
    /// the swapped form with dy as the Conv input is emitted instead (no Transpose; see WeightGradSwapped).
    /// </summary>
    public static string WeightGrad(GraphEmitter e, string x, long[] xShape, string dy, long group, ConvGeometry geo, long outChannels = 0)
    {
        var c = xShape[1];
        if (!GradientGraphVariants.Legacy && outChannels > 0 && PreferIm2colWeightGrad(c, outChannels, group, geo))
            return WeightGradIm2col(e, x, dy, c, outChannels, geo);
        if (!GradientGraphVariants.Legacy && outChannels > 0 && outChannels < c && CanSwapWeightGrad(group, geo))
            return WeightGradSwapped(e, x, dy, geo);
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
    /// Whether the weight gradient is emitted as im2col + one Gemm (group 1, ≥ 16 channels on both sides, output maps of
    /// at most 32×32). why: there the Conv pattern runs one GEMM per input channel whose output is only k_h·k_w wide (9
    /// for 3×3); one Gemm over all channels measured faster on resnet18, splitnet and cnn6, slower on lenet5's 1- and
    /// 6-channel 5×5 layers (bench/README.md, "Gradient graph variants").
    /// </summary>
    private static bool PreferIm2colWeightGrad(long inChannels, long outChannels, long group, ConvGeometry geo) =>
        group == 1 && inChannels >= Im2colMinChannels && outChannels >= Im2colMinChannels && geo.Output[0] * geo.Output[1] <= Im2colMaxOutputPixels;

    /// <summary>Channel threshold (both sides) of the im2col weight gradient; settable for benchmarks only.</summary>
    internal static long Im2colMinChannels { get; set; } = 16;

    /// <summary>Largest output map (Ho·Wo) for the im2col weight gradient (bounds the k²-times larger cols tensor); settable for benchmarks only.</summary>
    internal static long Im2colMaxOutputPixels { get; set; } = 1024;

    /// <summary>
    /// dW as one Gemm: cols[(c,i,j), (n,p,q)] = x̃[n, c, i·d + p·s, j·d + q·s] built from k_h·k_w strided Slices of the
    /// padded, batch-transposed input x' [C, N, H, W]; dW[f, (c,i,j)] = Σ_{(n,p,q)} dy'[f, (n,p,q)]·cols[(c,i,j), (n,p,q)]
    /// = Gemm(dy', cols, transB = 1), reshaped to [F, C, kh, kw] (no Transpose of the result).
    /// </summary>
    private static string WeightGradIm2col(GraphEmitter e, string x, string dy, long c, long f, ConvGeometry geo)
    {
        var xt = e.Transpose(x, 1, 0, 2, 3);
        if (geo.Pads.Any(v => v != 0))
            xt = e.Pad(xt, [0, 0, geo.PadsBegin[0], geo.PadsBegin[1], 0, 0, geo.PadsEnd[0], geo.PadsEnd[1]]);
        var taps = new List<string>();
        for (var i = 0; i < geo.Kernel[0]; i++)
        {
            for (var j = 0; j < geo.Kernel[1]; j++)
            {
                long[] starts = [i * geo.Dilations[0], j * geo.Dilations[1]];
                long[] ends = [starts[0] + (geo.Output[0] - 1) * geo.Strides[0] + 1, starts[1] + (geo.Output[1] - 1) * geo.Strides[1] + 1];
                var tap = e.Op("Slice", [xt, e.ConstI64(starts), e.ConstI64(ends), e.ConstI64([2, 3]), e.ConstI64(geo.Strides)]);
                taps.Add(e.Unsqueeze(tap, [1]));
            }
        }
        var cols = e.Reshape(e.Op("Concat", [.. taps], MakeInt("axis", 1)), [c * geo.Kernel[0] * geo.Kernel[1], -1]);
        var dyt = e.Reshape(e.Transpose(dy, 1, 0, 2, 3), [f, -1]);
        var dw = e.Op("Gemm", [dyt, cols], MakeInt("transB", 1));
        return e.Reshape(dw, [f, c, geo.Kernel[0], geo.Kernel[1]]);
    }

    // Stride 1, dilation 1, group 1 and pads ≤ k−1: the swapped form below exists.
    private static bool CanSwapWeightGrad(long group, ConvGeometry geo) =>
        group == 1 && geo.Strides.All(v => v == 1) && geo.Dilations.All(v => v == 1)
        && Enumerable.Range(0, 2).All(i => geo.PadsBegin[i] <= geo.Kernel[i] - 1 && geo.PadsEnd[i] <= geo.Kernel[i] - 1);

    /// <summary>
    /// The same weight gradient with the operands swapped (stride 1, dilation 1, group 1): dy' [F, N, Ho, Wo] is the
    /// Conv input, zero-padded by (k−1−pb, k−1−pe), and x' [C, N, H, W] the Conv weight; the result
    /// r[f, c, u, v] = Σ_n Σ_{a,b} dy'[f, n, u+a−(k−1−pb), …]·x[n, c, a, b] = dW[f, c, k−1−u, k−1−v] is already [F, C, k, k]
    /// and only needs the kernel flipped (a negative-step Slice), no Transpose.
    /// why: ONNX Runtime's Conv runs im2col once per batch entry of its input, so the side with fewer channels should be
    /// the batch (issue 16 measured 2.4–3.1× on a decoder's ConvTranspose weight gradient with 6 → 32 channels).
    /// </summary>
    private static string WeightGradSwapped(GraphEmitter e, string x, string dy, ConvGeometry geo)
    {
        var a = e.Transpose(dy, 1, 0, 2, 3);
        var k = e.Transpose(x, 1, 0, 2, 3);
        long[] pads = [geo.Kernel[0] - 1 - geo.PadsBegin[0], geo.Kernel[1] - 1 - geo.PadsBegin[1],
            geo.Kernel[0] - 1 - geo.PadsEnd[0], geo.Kernel[1] - 1 - geo.PadsEnd[1]];
        var r = e.Op("Conv", [a, k], MakeInts("pads", pads));
        return Flip(e, r);
    }

    /// <summary>Reverses axes 2 and 3 of a rank-4 tensor (Slice with steps −1).</summary>
    public static string Flip(GraphEmitter e, string x) =>
        e.Op("Slice", [x, e.ConstI64([-1, -1]), e.ConstI64([long.MinValue, long.MinValue]), e.ConstI64([2, 3]), e.ConstI64([-1, -1])]);

    /// <summary>
    /// Whether the Conv input gradient is emitted as a Conv with the flipped, channel-swapped weight instead of a
    /// ConvTranspose: stride 1, group 1, pads ≤ the kernel extent − 1, and both channel counts ≥ 16.
    /// why: issue 16 measured the Conv form 2.5× faster at 16 channels, 1.8× at 32, but 2.2× slower at 6.
    /// </summary>
    public static bool PreferFlippedConvInputGrad(long inChannels, long outChannels, long group, ConvGeometry geo) =>
        !GradientGraphVariants.Legacy && group == 1 && inChannels >= 16 && outChannels >= 16
        && geo.Strides.All(v => v == 1)
        && Enumerable.Range(0, 2).All(i => geo.PadsBegin[i] <= geo.Extent(i) - 1 && geo.PadsEnd[i] <= geo.Extent(i) - 1);

    /// <summary>
    /// Conv input gradient at stride 1 as a forward Conv: dX = Conv(dY, W̃) with W̃[c, f, i, j] = W[f, c, k−1−i, k−1−j],
    /// the same dilations and pads (ext−1−pb, ext−1−pe), ext = (k−1)·d+1; output H×W exactly.
    /// </summary>
    public static string InputGradViaFlippedConv(GraphEmitter e, string dy, string w, ConvGeometry geo)
    {
        var wt = Flip(e, e.Transpose(w, 1, 0, 2, 3));
        long[] pads = [geo.Extent(0) - 1 - geo.PadsBegin[0], geo.Extent(1) - 1 - geo.PadsBegin[1],
            geo.Extent(0) - 1 - geo.PadsEnd[0], geo.Extent(1) - 1 - geo.PadsEnd[1]];
        return e.Op("Conv", [dy, wt], MakeInts("dilations", geo.Dilations), MakeInts("pads", pads));
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
