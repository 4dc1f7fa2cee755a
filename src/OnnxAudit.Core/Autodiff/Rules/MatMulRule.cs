namespace OnnxAudit.Autodiff.Rules;

/// <summary>
/// MatMul (numpy semantics incl. 1-D operands and broadcast batch dims): with A as [..,M,K], B as [..,K,N],
/// dA = Σ_broadcast dY·Bᵀ, dB = Σ_broadcast Aᵀ·dY (1-D operands are promoted and the result reshaped back); with a 2-D B and
/// a batched A, dB is one 2-D product over the flattened batch rows.
/// </summary>
internal sealed class MatMulRule : IGradientRule
{
    public string OpType => "MatMul";

    public void Backward(BackwardContext c)
    {
        var e = c.E;
        var aShape = c.Shape(c.X(0));
        var bShape = c.Shape(c.X(1));
        var a = c.X(0);
        var b = c.X(1);
        var dy = c.Dy(0)!;
        long[] a2 = aShape.Length == 1 ? [1, aShape[0]] : aShape;
        long[] b2 = bShape.Length == 1 ? [bShape[0], 1] : bShape;
        if (aShape.Length == 1) a = e.Reshape(a, [1, aShape[0]]);
        if (bShape.Length == 1) b = e.Reshape(b, [bShape[0], 1]);
        var batch = ShapeInference.Broadcast(a2[..^2], b2[..^2]);
        long[] y2 = [.. batch, a2[^2], b2[^1]];
        if (aShape.Length == 1 || bShape.Length == 1)
            dy = e.Reshape(dy, y2.Select(d => d == ShapeInference.Batch ? -1 : d).ToArray());
        if (c.Needs(0))
        {
            var g = e.Op("MatMul", [dy, SwapLast(e, b, b2.Length)]);
            g = e.ReduceToShape(g, [.. batch, a2[^2], a2[^1]], a2);
            if (aShape.Length == 1) g = e.Reshape(g, [aShape[0]]);
            c.Add(0, g);
        }
        if (c.Needs(1) && b2.Length == 2 && a2.Length > 2)
        {
            // why: issue 17: with a 2-D B the broadcast batch dims of A are contracted in one 2-D product
            // dB = reshape(A, [-1, K])ᵀ · reshape(dY, [-1, N]). The batched form MatMul(Aᵀ, dY) followed by a sum over the batch
            // dims materialised one [.., K, N] product per batch entry: on vit_b_16 (A = [197, M, 768], B = [768, 2304]) that
            // was 1.3 GB per attention block, and the second-order graph's Expand of it another 1.3 GB.
            var g = e.Op("MatMul", [e.Transpose(e.Reshape(a, [-1, a2[^1]]), 1, 0), e.Reshape(dy, [-1, b2[^1]])]);
            if (bShape.Length == 1) g = e.Reshape(g, [bShape[0]]);
            c.Add(1, g);
        }
        else if (c.Needs(1))
        {
            var g = e.Op("MatMul", [SwapLast(e, a, a2.Length), dy]);
            g = e.ReduceToShape(g, [.. batch, b2[^2], b2[^1]], b2);
            if (bShape.Length == 1) g = e.Reshape(g, [bShape[0]]);
            c.Add(1, g);
        }
    }

    private static string SwapLast(GraphEmitter e, string x, int rank)
    {
        var perm = Enumerable.Range(0, rank).Select(v => (long)v).ToArray();
        (perm[^1], perm[^2]) = (perm[^2], perm[^1]);
        return e.Transpose(x, perm);
    }
}
