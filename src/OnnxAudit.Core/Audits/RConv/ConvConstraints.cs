using MathNet.Numerics.LinearAlgebra;

namespace OnnxAudit.Audits.RConv;

/// <summary>
/// The linear maps of one conv layer for a single sample, in double precision. Layouts: X [N,H,W], O [F,Oh,Ow],
/// W [F, N/G, Kh, Kw]. Input pixel of output (p,q) and tap (k,l): i = Sh·p + Dh·k − Pt, j = Sw·q + Dw·l − Pl
/// (outside [0,H)×[0,W) it is a padding zero). Thread-safe (stateless).
/// </summary>
internal static class ConvConstraints
{
    /// <summary>O = W * X + b.</summary>
    public static double[] Forward(ConvGeometry g, ReadOnlySpan<double> x, ReadOnlySpan<float> w, ReadOnlySpan<float> b)
    {
        var o = new double[g.OutChannels * g.OutH * g.OutW];
        for (var f = 0; f < g.OutChannels; f++)
        {
            var grp = f / g.FiltersPerGroup;
            for (var p = 0; p < g.OutH; p++)
                for (var q = 0; q < g.OutW; q++)
                {
                    double s = b.IsEmpty ? 0 : b[f];
                    for (var cl = 0; cl < g.ChannelsPerGroup; cl++)
                    {
                        var c = (grp * g.ChannelsPerGroup) + cl;
                        for (var k = 0; k < g.KernelH; k++)
                        {
                            var i = (p * g.StrideH) + (k * g.DilationH) - g.PadTop;
                            if ((uint)i >= (uint)g.InH) continue;
                            for (var l = 0; l < g.KernelW; l++)
                            {
                                var j = (q * g.StrideW) + (l * g.DilationW) - g.PadLeft;
                                if ((uint)j >= (uint)g.InW) continue;
                                s += w[(((f * g.ChannelsPerGroup) + cl) * g.KernelH + k) * g.KernelW + l] * x[(((c * g.InH) + i) * g.InW) + j];
                            }
                        }
                    }
                    o[(((f * g.OutH) + p) * g.OutW) + q] = s;
                }
        }
        return o;
    }

    /// <summary>∂ℓ/∂W[f,n,k,l] = Σ_{p,q} ∂ℓ/∂O[f,p,q]·X[n, i(p,k), j(q,l)] — the weight-gradient equations applied to X.</summary>
    public static double[] WeightGradient(ConvGeometry g, ReadOnlySpan<double> x, ReadOnlySpan<double> dO)
    {
        var dW = new double[g.OutChannels * g.ChannelsPerGroup * g.KernelH * g.KernelW];
        for (var f = 0; f < g.OutChannels; f++)
        {
            var grp = f / g.FiltersPerGroup;
            for (var cl = 0; cl < g.ChannelsPerGroup; cl++)
            {
                var c = (grp * g.ChannelsPerGroup) + cl;
                for (var k = 0; k < g.KernelH; k++)
                    for (var l = 0; l < g.KernelW; l++)
                    {
                        double s = 0;
                        for (var p = 0; p < g.OutH; p++)
                        {
                            var i = (p * g.StrideH) + (k * g.DilationH) - g.PadTop;
                            if ((uint)i >= (uint)g.InH) continue;
                            for (var q = 0; q < g.OutW; q++)
                            {
                                var j = (q * g.StrideW) + (l * g.DilationW) - g.PadLeft;
                                if ((uint)j >= (uint)g.InW) continue;
                                s += dO[(((f * g.OutH) + p) * g.OutW) + q] * x[(((c * g.InH) + i) * g.InW) + j];
                            }
                        }
                        dW[((((f * g.ChannelsPerGroup) + cl) * g.KernelH) + k) * g.KernelW + l] = s;
                    }
            }
        }
        return dW;
    }

    /// <summary>∂ℓ/∂X = convᵀ(∂ℓ/∂O): ∂X[c,i,j] = Σ W[f,c,k,l]·∂O[f,p,q] over the taps that read (i,j).</summary>
    public static double[] InputGradient(ConvGeometry g, ReadOnlySpan<double> dO, ReadOnlySpan<float> w)
    {
        var dX = new double[g.InChannels * g.InH * g.InW];
        for (var f = 0; f < g.OutChannels; f++)
        {
            var grp = f / g.FiltersPerGroup;
            for (var p = 0; p < g.OutH; p++)
                for (var q = 0; q < g.OutW; q++)
                {
                    var d = dO[(((f * g.OutH) + p) * g.OutW) + q];
                    if (d == 0) continue;
                    for (var cl = 0; cl < g.ChannelsPerGroup; cl++)
                    {
                        var c = (grp * g.ChannelsPerGroup) + cl;
                        for (var k = 0; k < g.KernelH; k++)
                        {
                            var i = (p * g.StrideH) + (k * g.DilationH) - g.PadTop;
                            if ((uint)i >= (uint)g.InH) continue;
                            for (var l = 0; l < g.KernelW; l++)
                            {
                                var j = (q * g.StrideW) + (l * g.DilationW) - g.PadLeft;
                                if ((uint)j >= (uint)g.InW) continue;
                                dX[(((c * g.InH) + i) * g.InW) + j] += w[((((f * g.ChannelsPerGroup) + cl) * g.KernelH) + k) * g.KernelW + l] * d;
                            }
                        }
                    }
                }
        }
        return dX;
    }

    /// <summary>
    /// The gradient constraint matrix shared by every input channel of group <paramref name="group"/>:
    /// row (f_local, k, l), column (i, j) of the unpadded input, coefficient ∂ℓ/∂O[f, p, q] for the (p,q) with
    /// i = Sh·p + Dh·k − Pt, j = Sw·q + Dw·l − Pl.
    /// why: DESIGN.md R-CONV — the coefficients depend only on ∂ℓ/∂O, not on the channel, so one matrix (and one
    /// factorisation) serves all N/G channels of a group; padding pixels are known zeros, so their columns are dropped
    /// (equivalent to solving on the padded input with the padding constrained to zero, then cropping).
    /// </summary>
    public static Matrix<double> GradientMatrix(ConvGeometry g, ReadOnlySpan<double> dO, int group) =>
        // MathNet's dense storage is column-major, so the array of GradientMatrixColumnMajor is the matrix
        Matrix<double>.Build.Dense(g.FiltersPerGroup * g.KernelH * g.KernelW, g.InH * g.InW, GradientMatrixColumnMajor(g, dO, group));

    /// <summary>
    /// <see cref="GradientMatrix"/> as a dense column-major array (rows × H·W, entry (r, c) at c·rows + r), or its
    /// transpose (entry (r, c) at r·(H·W) + c, i.e. Aᵀ column-major) when <paramref name="transpose"/> is set.
    /// </summary>
    public static double[] GradientMatrixColumnMajor(ConvGeometry g, ReadOnlySpan<double> dO, int group, bool transpose = false)
    {
        var rows = g.FiltersPerGroup * g.KernelH * g.KernelW;
        var hw = g.InH * g.InW;
        var a = new double[(long)rows * hw];
        for (var fl = 0; fl < g.FiltersPerGroup; fl++)
        {
            var f = (group * g.FiltersPerGroup) + fl;
            for (var k = 0; k < g.KernelH; k++)
                for (var l = 0; l < g.KernelW; l++)
                {
                    var r = (((fl * g.KernelH) + k) * g.KernelW) + l;
                    for (var p = 0; p < g.OutH; p++)
                    {
                        var i = (p * g.StrideH) + (k * g.DilationH) - g.PadTop;
                        if ((uint)i >= (uint)g.InH) continue;
                        for (var q = 0; q < g.OutW; q++)
                        {
                            var j = (q * g.StrideW) + (l * g.DilationW) - g.PadLeft;
                            if ((uint)j >= (uint)g.InW) continue;
                            var c = (i * g.InW) + j;
                            a[transpose ? ((long)r * hw) + c : ((long)c * rows) + r] += dO[(((f * g.OutH) + p) * g.OutW) + q];
                        }
                    }
                }
        }
        return a;
    }

    /// <summary><see cref="GradientRhs"/> as a dense column-major array (rows × N/G).</summary>
    public static double[] GradientRhsColumnMajor(ConvGeometry g, ReadOnlySpan<float> dW, int group)
    {
        var rows = g.FiltersPerGroup * g.KernelH * g.KernelW;
        var b = new double[rows * g.ChannelsPerGroup];
        var kk = g.KernelH * g.KernelW;
        for (var fl = 0; fl < g.FiltersPerGroup; fl++)
        {
            var f = (group * g.FiltersPerGroup) + fl;
            for (var cl = 0; cl < g.ChannelsPerGroup; cl++)
                for (var t = 0; t < kk; t++)
                    b[(cl * rows) + (fl * kk) + t] = dW[(((f * g.ChannelsPerGroup) + cl) * kk) + t];
        }
        return b;
    }

    /// <summary>Right-hand sides of group <paramref name="group"/>: column c_local holds ∂ℓ/∂W[f, c_local, k, l] in row order (f_local,k,l).</summary>
    public static Matrix<double> GradientRhs(ConvGeometry g, ReadOnlySpan<float> dW, int group)
    {
        var rows = g.FiltersPerGroup * g.KernelH * g.KernelW;
        var b = Matrix<double>.Build.Dense(rows, g.ChannelsPerGroup);
        var kk = g.KernelH * g.KernelW;
        for (var fl = 0; fl < g.FiltersPerGroup; fl++)
        {
            var f = (group * g.FiltersPerGroup) + fl;
            for (var cl = 0; cl < g.ChannelsPerGroup; cl++)
                for (var t = 0; t < kk; t++)
                    b[(fl * kk) + t, cl] = dW[(((f * g.ChannelsPerGroup) + cl) * kk) + t];
        }
        return b;
    }

    /// <summary>
    /// Nonzero pattern of the forward system of one group: for output row (f_local,p,q), the (column, weight) pairs,
    /// columns (c_local, i, j) over the group's (N/G)·H·W unknowns.
    /// </summary>
    public static (int Col, double Coef)[][] ForwardRows(ConvGeometry g, ReadOnlySpan<float> w, int group)
    {
        var rows = new (int, double)[g.FiltersPerGroup * g.OutH * g.OutW][];
        var buf = new List<(int, double)>();
        for (var fl = 0; fl < g.FiltersPerGroup; fl++)
        {
            var f = (group * g.FiltersPerGroup) + fl;
            for (var p = 0; p < g.OutH; p++)
                for (var q = 0; q < g.OutW; q++)
                {
                    buf.Clear();
                    for (var cl = 0; cl < g.ChannelsPerGroup; cl++)
                        for (var k = 0; k < g.KernelH; k++)
                        {
                            var i = (p * g.StrideH) + (k * g.DilationH) - g.PadTop;
                            if ((uint)i >= (uint)g.InH) continue;
                            for (var l = 0; l < g.KernelW; l++)
                            {
                                var j = (q * g.StrideW) + (l * g.DilationW) - g.PadLeft;
                                if ((uint)j >= (uint)g.InW) continue;
                                buf.Add(((((cl * g.InH) + i) * g.InW) + j, w[((((f * g.ChannelsPerGroup) + cl) * g.KernelH) + k) * g.KernelW + l]));
                            }
                        }
                    rows[(((fl * g.OutH) + p) * g.OutW) + q] = buf.ToArray();
                }
        }
        return rows;
    }
}
