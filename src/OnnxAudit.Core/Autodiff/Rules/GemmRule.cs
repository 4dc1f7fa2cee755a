using static OnnxAudit.Onnx.NodeAttributes;

namespace OnnxAudit.Autodiff.Rules;

/// <summary>
/// Gemm: Y = α·A'·B' + β·C with A' = transA ? Aᵀ : A, B' = transB ? Bᵀ : B.
/// dA' = α·dY·B'ᵀ, dB' = α·A'ᵀ·dY (transposed back when transA/transB), dC = β·Σ_broadcast dY.
/// Each product is one Gemm node with the transpose flags chosen so no Transpose node is needed.
/// </summary>
internal sealed class GemmRule : IGradientRule
{
    public string OpType => "Gemm";

    public void Backward(BackwardContext c)
    {
        var e = c.E;
        var dy = c.Dy(0)!;
        var alpha = c.Float("alpha", 1f);
        var beta = c.Float("beta", 1f);
        var ta = c.Int("transA", 0) != 0;
        var tb = c.Int("transB", 0) != 0;
        var a = c.X(0);
        var b = c.X(1);
        global::Onnx.AttributeProto[] Attrs(bool transA, bool transB) =>
            [MakeFloat("alpha", alpha), MakeInt("transA", transA ? 1 : 0), MakeInt("transB", transB ? 1 : 0)];
        if (c.Needs(0))
        {
            // dA' = α dY B'ᵀ ; for transA, dA = (dA')ᵀ = α B' dYᵀ
            c.Add(0, ta ? e.Op("Gemm", [b, dy], Attrs(tb, true)) : e.Op("Gemm", [dy, b], Attrs(false, !tb)));
        }
        if (c.Needs(1))
        {
            // dB' = α A'ᵀ dY ; for transB, dB = (dB')ᵀ = α dYᵀ A'
            c.Add(1, tb ? e.Op("Gemm", [dy, a], Attrs(true, ta)) : e.Op("Gemm", [a, dy], Attrs(!ta, false)));
        }
        if (c.HasInput(2) && c.Needs(2))
            c.Add(2, e.Scale(e.ReduceToShape(dy, c.Shape(c.Y(0)), c.Shape(c.X(2))), beta));
    }
}
