using DataType = Onnx.TensorProto.Types.DataType;

namespace OnnxAudit.Autodiff.Rules;

/// <summary>Cast between floating-point types: dx = dy cast back to float (the differentiated tensors are float32);
/// a cast to an integer or bool type has zero gradient (nothing is added).</summary>
internal sealed class CastRule : IGradientRule
{
    public string OpType => "Cast";

    public void Backward(BackwardContext c)
    {
        var to = (DataType)c.Int("to", (long)DataType.Float);
        switch (to)
        {
            case DataType.Float:
                c.Add(0, c.Dy(0)!);
                break;
            case DataType.Double or DataType.Float16 or DataType.Bfloat16:
                c.Add(0, c.E.Cast(c.Dy(0)!, DataType.Float));
                break;
            default:
                break; // why: integer/bool outputs are piecewise constant in x, so the gradient is zero (as PyTorch).
        }
    }
}
