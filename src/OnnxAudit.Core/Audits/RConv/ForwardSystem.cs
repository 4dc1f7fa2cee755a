using MathNet.Numerics.LinearAlgebra;
using MathNet.Numerics.LinearAlgebra.Factorization;

namespace OnnxAudit.Audits.RConv;

/// <summary>
/// The forward constraints W * X + b = O of one conv layer, solved for X by least squares through the normal
/// equations with one step of iterative refinement. The factorisation depends only on the weights, so it is built
/// once per model and reused for every image. Not thread-safe during construction; Solve is read-only.
/// </summary>
internal sealed class ForwardSystem
{
    private readonly ConvGeometry _g;
    private readonly float[] _bias;
    private readonly (int Col, double Coef)[][][] _rows; // per group
    private readonly Cholesky<double>?[] _chol;
    private readonly int[] _rank;

    public ForwardSystem(ConvGeometry g, float[] weights, float[]? bias, double rankTolerance)
    {
        _g = g;
        _bias = bias ?? new float[g.OutChannels];
        _rows = new (int, double)[g.Groups][][];
        _chol = new Cholesky<double>?[g.Groups];
        _rank = new int[g.Groups];
        var n = g.ChannelsPerGroup * g.InH * g.InW;
        for (var grp = 0; grp < g.Groups; grp++)
        {
            var rows = ConvConstraints.ForwardRows(g, weights, grp);
            _rows[grp] = rows;
            // AᵀA accumulated from the sparse rows (each row has at most (N/G)·Kh·Kw entries)
            var ata = new double[n * n];
            foreach (var row in rows)
                foreach (var (ci, vi) in row)
                    foreach (var (cj, vj) in row)
                        ata[(ci * n) + cj] += vi * vj;
            var m = Matrix<double>.Build.Dense(n, n, ata); // symmetric, so column-major = row-major
            double maxDiag = 0, minDiag = double.MaxValue;
            for (var i = 0; i < n; i++) { maxDiag = Math.Max(maxDiag, m[i, i]); minDiag = Math.Min(minDiag, m[i, i]); }
            // why: a tiny ridge keeps the factor usable as a preconditioner when A is rank-deficient; full rank is
            // judged from the pivots (σ_min/σ_max of A ≈ min/max diagonal of the Cholesky factor).
            for (var i = 0; i < n; i++) m[i, i] += 1e-13 * maxDiag;
            var c = m.Cholesky();
            _chol[grp] = c;
            var l = c.Factor;
            double lmax = 0, lmin = double.MaxValue;
            for (var i = 0; i < n; i++) { lmax = Math.Max(lmax, l[i, i]); lmin = Math.Min(lmin, l[i, i]); }
            _rank[grp] = minDiag <= 0 || lmin <= rankTolerance * lmax ? -1 : n;
        }
    }

    public int Rows => _g.OutChannels * _g.OutH * _g.OutW;
    public int Unknowns => _g.InChannels * _g.InH * _g.InW;

    /// <summary>False when some group's forward system is numerically rank-deficient.</summary>
    public bool FullRank => _rank.All(r => r > 0);

    /// <summary>Solves for X [N,H,W] given O [F,Oh,Ow]; returns X and the relative residual ‖W*X+b−O‖/‖O−b‖.</summary>
    public (double[] X, double Residual) Solve(ReadOnlySpan<double> o)
    {
        var g = _g;
        var nPer = g.ChannelsPerGroup * g.InH * g.InW;
        var x = new double[g.InChannels * g.InH * g.InW];
        double res2 = 0, rhs2 = 0;
        for (var grp = 0; grp < g.Groups; grp++)
        {
            var chol = _chol[grp] ?? throw new InvalidOperationException("forward system is rank-deficient");
            var rows = _rows[grp];
            var t = new double[rows.Length];
            for (var r = 0; r < rows.Length; r++)
            {
                var f = (grp * g.FiltersPerGroup) + (r / (g.OutH * g.OutW));
                t[r] = o[(grp * g.FiltersPerGroup * g.OutH * g.OutW) + r] - _bias[f];
            }
            var sol = new double[nPer];
            var resid = (double[])t.Clone();
            for (var pass = 0; pass < 2; pass++) // why: one refinement step recovers the accuracy the normal equations lose
            {
                var atr = Vector<double>.Build.Dense(nPer);
                for (var r = 0; r < rows.Length; r++)
                    foreach (var (c, v) in rows[r]) atr[c] += v * resid[r];
                var d = chol.Solve(atr);
                for (var i = 0; i < nPer; i++) sol[i] += d[i];
                for (var r = 0; r < rows.Length; r++)
                {
                    double s = 0;
                    foreach (var (c, v) in rows[r]) s += v * sol[c];
                    resid[r] = t[r] - s;
                }
            }
            for (var r = 0; r < rows.Length; r++) { res2 += resid[r] * resid[r]; rhs2 += t[r] * t[r]; }
            Array.Copy(sol, 0, x, grp * nPer, nPer);
        }
        return (x, rhs2 > 0 ? Math.Sqrt(res2 / rhs2) : Math.Sqrt(res2));
    }
}
