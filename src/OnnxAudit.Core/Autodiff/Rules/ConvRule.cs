using static OnnxAudit.Onnx.NodeAttributes;

namespace OnnxAudit.Autodiff.Rules;

/// <summary>
/// Conv (2-D; strides, pads/auto_pad, dilations, groups incl. depthwise).
/// dX = ConvTranspose(dY, W) with the same strides/pads/dilations/group and the output_padding that restores H×W, or at
/// stride 1 with ≥ 16 channels on both sides a Conv with the flipped weight (see
/// <see cref="ConvBackward.PreferFlippedConvInputGrad"/>); dW = Conv over batch-transposed tensors (see
/// <see cref="ConvBackward.WeightGrad"/>); dB = Σ_{n,h,w} dY.
/// </summary>
internal sealed class ConvRule : IGradientRule
{
    public string OpType => "Conv";

    public void Backward(BackwardContext c)
    {
        var xs = c.Shape(c.X(0));
        var ws = c.Shape(c.X(1));
        if (xs.Length != 4) throw c.Fail($"only 2-D convolutions (rank-4 input) are supported by the gradient builder, got rank {xs.Length}");
        var group = c.Int("group", 1);
        var geo = ConvGeometry.Resolve(c.Node, xs[2..], ws[2..], allowCeil: false);
        var dy = c.Dy(0)!;
        if (c.Needs(0))
        {
            c.Add(0, ConvBackward.PreferFlippedConvInputGrad(xs[1], ws[0], group, geo)
                ? ConvBackward.InputGradViaFlippedConv(c.E, dy, c.X(1), geo)
                : ConvBackward.InputGradViaConvTranspose(c.E, dy, c.X(1), xs[2..], group, geo));
        }
        if (c.Needs(1)) c.Add(1, ConvBackward.WeightGrad(c.E, c.X(0), xs, dy, group, geo, ws[0]));
        if (c.HasInput(2) && c.Needs(2)) c.Add(2, c.E.ReduceSum(dy, [0, 2, 3], keepDims: false));
    }
}
