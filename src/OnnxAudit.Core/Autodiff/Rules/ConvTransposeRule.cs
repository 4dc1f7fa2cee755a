using static OnnxAudit.Onnx.NodeAttributes;

namespace OnnxAudit.Autodiff.Rules;

/// <summary>
/// ConvTranspose (2-D; strides, pads, dilations, group, output_padding). It is the adjoint of Conv, so
/// dX = Conv(dY, W) with the same strides/pads/dilations/group (output_padding rows are simply not read);
/// dW = the Conv weight gradient with the roles swapped (input dY, output gradient X); dB = Σ_{n,h,w} dY.
/// output_shape and auto_pad ≠ NOTSET are rejected (their pad split differs between runtimes).
/// </summary>
internal sealed class ConvTransposeRule : IGradientRule
{
    public string OpType => "ConvTranspose";

    public void Backward(BackwardContext c)
    {
        var xs = c.Shape(c.X(0));
        var ws = c.Shape(c.X(1));
        var ys = c.Shape(c.Y(0));
        if (xs.Length != 4) throw c.Fail($"only 2-D transposed convolutions (rank-4 input) are supported by the gradient builder, got rank {xs.Length}");
        if (c.Ints("output_shape") is not null || c.Str("auto_pad", "NOTSET") != "NOTSET")
            throw c.Fail("output_shape / auto_pad are not supported by the gradient builder; re-export with explicit pads and output_padding");
        var group = c.Int("group", 1);
        var strides = c.Ints("strides") ?? [1, 1];
        var dil = c.Ints("dilations") ?? [1, 1];
        var pads = c.Ints("pads") ?? new long[4];
        // The equivalent forward Conv maps y (ys) to x (xs) with these parameters.
        var geo = new ConvGeometry(ws[2..], strides, dil, pads[..2], pads[2..], xs[2..]);
        var dy = c.Dy(0)!;
        if (c.Needs(0))
            c.Add(0, c.E.Op("Conv", [dy, c.X(1)], MakeInts("strides", strides), MakeInts("dilations", dil), MakeInts("pads", pads), MakeInt("group", group)));
        if (c.Needs(1)) c.Add(1, ConvBackward.WeightGrad(c.E, dy, ys, c.X(0), group, geo, xs[1]));
        if (c.HasInput(2) && c.Needs(2)) c.Add(2, c.E.ReduceSum(dy, [0, 2, 3], keepDims: false));
    }
}
