namespace OnnxAudit.Autodiff.Rules;

/// <summary>
/// Resize (opset ≥ 11, rank 4, N and C unchanged; mode nearest (every nearest_mode) or linear; coordinate modes
/// half_pixel, pytorch_half_pixel, align_corners, asymmetric; constant scales or sizes): the forward is separable and
/// linear, y = A_h·x·A_wᵀ per plane, so dx = A_hᵀ·dy·A_w with the interpolation matrices built here following the
/// ONNX reference (linear clamps the source coordinate to [0, in − 1] as ONNX Runtime does). Two MatMul nodes.
/// Not covered: cubic, antialias, axes, keep_aspect_ratio_policy, tf_crop_and_resize.
/// </summary>
internal sealed class ResizeRule : IGradientRule
{
    public string OpType => "Resize";

    public void Backward(BackwardContext c)
    {
        if (!c.Needs(0)) return;
        var e = c.E;
        var xs = c.Shape(c.X(0));
        var ys = c.Shape(c.Y(0));
        if (xs.Length != 4 || xs[0] != ys[0] || xs[1] != ys[1]) throw c.Fail("only resizing the two spatial axes of an NCHW tensor is supported by the gradient builder");
        var mode = c.Str("mode", "nearest");
        if (mode is not ("nearest" or "linear")) throw c.Fail($"mode '{mode}' is not supported (nearest, linear)");
        if (c.Int("antialias", 0) != 0 || c.Ints("axes") is not null) throw c.Fail("antialias and axes are not supported by the gradient builder");
        var ctm = c.Str("coordinate_transformation_mode", "half_pixel");
        if (ctm is not ("half_pixel" or "pytorch_half_pixel" or "align_corners" or "asymmetric"))
            throw c.Fail($"coordinate_transformation_mode '{ctm}' is not supported (half_pixel, pytorch_half_pixel, align_corners, asymmetric)");
        var nearest = c.Str("nearest_mode", "round_prefer_floor");
        var scales = ShapeInference.ResizeScales(c.Node, c.Constants);
        double Scale(int axis) => scales is not null ? scales[axis] : (double)ys[axis] / xs[axis];
        var ah = Matrix((int)xs[2], (int)ys[2], Scale(2), mode, ctm, nearest); // [outH, inH]
        var aw = Matrix((int)xs[3], (int)ys[3], Scale(3), mode, ctm, nearest); // [outW, inW]
        var ahT = new float[ah.Length];
        for (var o = 0; o < ys[2]; o++) for (var i = 0; i < xs[2]; i++) ahT[i * ys[2] + o] = ah[o * xs[2] + i];
        var t = e.Op("MatMul", [e.ConstF(ahT, [xs[2], ys[2]]), c.Dy(0)!]);
        c.Add(0, e.Op("MatMul", [t, e.ConstF(aw, [ys[3], xs[3]])]));
    }

    /// <summary>Row-major [outSize, inSize] interpolation matrix of one axis.</summary>
    internal static float[] Matrix(int inSize, int outSize, double scale, string mode, string ctm, string nearestMode)
    {
        var m = new float[outSize * inSize];
        for (var o = 0; o < outSize; o++)
        {
            var src = ctm switch
            {
                "half_pixel" => (o + 0.5) / scale - 0.5,
                "pytorch_half_pixel" => outSize > 1 ? (o + 0.5) / scale - 0.5 : 0,
                "align_corners" => outSize == 1 ? 0 : o * (inSize - 1.0) / (outSize - 1.0),
                _ => o / scale,
            };
            if (mode == "nearest")
            {
                var i = nearestMode switch
                {
                    "floor" => Math.Floor(src),
                    "ceil" => Math.Ceiling(src),
                    "round_prefer_ceil" => Math.Round(src, MidpointRounding.AwayFromZero),
                    _ => src == Math.Floor(src) + 0.5 ? Math.Floor(src) : Math.Round(src),
                };
                m[o * inSize + (int)Math.Clamp(i, 0, inSize - 1)] = 1;
            }
            else
            {
                var x = Math.Clamp(src, 0, inSize - 1);
                var x0 = (int)Math.Floor(x);
                var x1 = Math.Min(x0 + 1, inSize - 1);
                var w1 = x - x0;
                m[o * inSize + x0] += (float)(1 - w1);
                m[o * inSize + x1] += (float)w1;
            }
        }
        return m;
    }
}
