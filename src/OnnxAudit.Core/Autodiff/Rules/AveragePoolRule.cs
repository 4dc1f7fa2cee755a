using static OnnxAudit.Onnx.NodeAttributes;

namespace OnnxAudit.Autodiff.Rules;

/// <summary>
/// AveragePool (2-D; pads, strides, dilations, ceil_mode, count_include_pad both ways). Each output gradient is divided
/// by its window's divisor (a constant [Ho, Wo] map computed here: taps inside the input, or inside input + pads when
/// count_include_pad = 1) and spread over its window with a depthwise ConvTranspose whose kernel is all ones.
/// With ceil_mode the end padding is enlarged so that the partial last window fits; taps beyond the input are cropped.
/// </summary>
internal sealed class AveragePoolRule : IGradientRule
{
    public string OpType => "AveragePool";

    public void Backward(BackwardContext c)
    {
        var e = c.E;
        var xs = c.Shape(c.X(0));
        if (xs.Length != 4) throw c.Fail($"only 2-D average pooling (rank-4 input) is supported by the gradient builder, got rank {xs.Length}");
        var kernel = c.Ints("kernel_shape")!;
        var geo = ConvGeometry.Resolve(c.Node, xs[2..], kernel, allowCeil: true);
        var includePad = c.Int("count_include_pad", 0) != 0;
        var h = xs[2];
        var w = xs[3];
        var (ho, wo) = (geo.Output[0], geo.Output[1]);
        var div = new float[ho * wo];
        for (var p = 0; p < ho; p++)
            for (var q = 0; q < wo; q++)
            {
                long count = 0;
                for (var i = 0; i < kernel[0]; i++)
                    for (var j = 0; j < kernel[1]; j++)
                    {
                        var r = p * geo.Strides[0] - geo.PadsBegin[0] + i * geo.Dilations[0];
                        var s = q * geo.Strides[1] - geo.PadsBegin[1] + j * geo.Dilations[1];
                        var inside = includePad
                            ? r >= -geo.PadsBegin[0] && r < h + geo.PadsEnd[0] && s >= -geo.PadsBegin[1] && s < w + geo.PadsEnd[1]
                            : r >= 0 && r < h && s >= 0 && s < w;
                        if (inside) count++;
                    }
                div[p * wo + q] = 1f / count;
            }
        var scaled = e.Mul(c.Dy(0)!, e.ConstF(div, [ho, wo]));
        // Enlarge end pads so that (H + pb + pe' − extent) / s + 1 == Ho exactly covers every window (ceil_mode).
        var pe = new long[2];
        for (var i = 0; i < 2; i++) pe[i] = Math.Max(geo.PadsEnd[i], (geo.Output[i] - 1) * geo.Strides[i] + geo.Extent(i) - xs[i + 2] - geo.PadsBegin[i]);
        var geo2 = geo with { PadsEnd = pe };
        var channels = xs[1];
        var ones = e.ConstF(Enumerable.Repeat(1f, (int)(channels * kernel[0] * kernel[1])).ToArray(), [channels, 1, kernel[0], kernel[1]]);
        c.Add(0, ConvBackward.InputGradViaConvTranspose(e, scaled, ones, xs[2..], channels, geo2));
    }
}
