using System.Numerics.Tensors;
using MathNet.Numerics.LinearAlgebra;

namespace OnnxAudit.Audits.RConv;

/// <summary>
/// Dense least squares of one tall per-channel gradient system A (m × n, m ≥ n, column-major) with k right-hand sides:
/// Householder QR of A (Qᵀ applied to the right-hand sides on the way, Q never formed), then either R⁻¹ when A is
/// certified to have full numerical rank, or the SVD of the small n × n R otherwise. Stateless; thread-safe.
/// </summary>
/// <remarks>
/// why (issue 16, bench/README.md "R-CONV per-layer solve"): MathNet's managed <c>Svd(computeVectors: true)</c> of A
/// forms the full m × m U; ours was 10.0 / 9.6× slower than LibTorch's thin LAPACK SVD. The rank decision stays the
/// SVD's (σ_i &gt; tol·σ_max): A = QR has the singular values of R, and the fast path is taken only when
/// σ_min ≥ 1 / ‖R⁻¹‖ &gt; 2·tol·‖A‖ ≥ 2·tol·σ_max, with ‖·‖ the smaller of the Frobenius norm and √(‖·‖₁‖·‖∞), both upper
/// bounds of the 2-norm. The factor 2 is far above the rounding of the QR (backward error ~ m·n·ε·‖A‖ against a
/// threshold of 1e-6·‖A‖). Otherwise the SVD of R decides, as the SVD of A did.
/// </remarks>
internal static class ThinLeastSquares
{
    /// <summary>Result for one system.</summary>
    /// <param name="X">n × k column-major minimum-norm least-squares solution.</param>
    /// <param name="Rank">Numerical rank (singular values above tol·σ_max).</param>
    /// <param name="NullSpace">n × (n − rank) orthonormal basis of what the system leaves free (0 columns at full rank).</param>
    /// <param name="Certified">True when full rank was certified without an SVD.</param>
    public sealed record Result(double[] X, int Rank, Matrix<double> NullSpace, bool Certified);

    /// <summary>Solves min ‖A·X − B‖ for column-major <paramref name="a"/> (m × n, destroyed) and <paramref name="b"/> (m × k, destroyed).</summary>
    public static Result Solve(double[] a, int m, int n, double[] b, int k, double tolerance)
    {
        if (m < n) throw new ArgumentException($"the system is short ({m} rows < {n} unknowns); the thin solve needs m ≥ n");
        var hi = NormBound(a, m, m, n);
        HouseholderInPlace(a, m, n, b, k);
        var rinv = CertifiedInverse(a, m, n, hi, tolerance);
        if (rinv is not null)
        {
            // X = R⁻¹ · (Qᵀb)[0..n): per column, x = Σ_j c_j · R⁻¹[:, j] (R⁻¹ upper: rows 0..j)
            var x = new double[n * k];
            for (var c = 0; c < k; c++)
            {
                var xc = x.AsSpan(c * n, n);
                for (var j = 0; j < n; j++)
                {
                    var cj = b[(c * m) + j];
                    if (cj == 0) continue;
                    TensorPrimitives.MultiplyAdd(rinv.AsSpan(j * n, j + 1), cj, xc[..(j + 1)], xc[..(j + 1)]);
                }
            }
            return new Result(x, n, Matrix<double>.Build.Dense(n, 0), true);
        }
        // the SVD of R: A = Q·R = (Q·U)·S·Vᵀ, so x = V_r·S_r⁻¹·U_rᵀ·(Qᵀb)[0..n), null space = V[:, r..n)
        var r = UpperMatrix(a, m, n);
        var svd = r.Svd(computeVectors: true);
        var sv = svd.S;
        var max = sv.Count > 0 ? sv.AbsoluteMaximum() : 0;
        var rank = max == 0 ? 0 : sv.Count(v => v > tolerance * max);
        var cm = Matrix<double>.Build.Dense(n, k, (i, c) => b[(c * m) + i]);
        var v = svd.VT.Transpose();
        var utb = svd.U.SubMatrix(0, n, 0, rank).TransposeThisAndMultiply(cm);
        for (var i = 0; i < rank; i++) utb.SetRow(i, utb.Row(i) / sv[i]);
        var sol = v.SubMatrix(0, n, 0, rank) * utb;
        return new Result(sol.ToColumnMajorArray(), rank, v.SubMatrix(0, n, rank, n - rank), false);
    }

    /// <summary>Numerical rank of column-major <paramref name="a"/> (m × n, m ≥ n, destroyed).</summary>
    public static (int Rank, bool Certified) Rank(double[] a, int m, int n, double tolerance)
    {
        if (m < n) throw new ArgumentException($"the system is short ({m} rows < {n} columns); pass its transpose");
        var hi = NormBound(a, m, m, n);
        if (hi == 0) return (0, true);
        // why: a very tall system (alexnet@224 features.3: 4,800 × 729) costs 2·m·n² in the QR. Adding rows never lowers
        // σ_min, so σ_min(A) ≥ σ_min(A_S) for any row subset S: the certificate of the 2n largest rows, against A's own
        // norm bound, certifies A (3.3× fewer flops there); the full QR decides when it does not.
        if (m > 3 * n)
        {
            var norms = new double[m];
            for (var c = 0; c < n; c++)
            {
                var col = a.AsSpan(c * m, m);
                for (var r = 0; r < m; r++) norms[r] += col[r] * col[r];
            }
            var rows = Enumerable.Range(0, m).OrderByDescending(r => norms[r]).Take(2 * n).Order().ToArray();
            var ms = rows.Length;
            var sub = new double[ms * n];
            for (var c = 0; c < n; c++)
                for (var i = 0; i < ms; i++) sub[(c * ms) + i] = a[(c * m) + rows[i]];
            HouseholderInPlace(sub, ms, n, [], 0);
            if (CertifiedInverse(sub, ms, n, hi, tolerance) is not null) return (n, true);
        }
        HouseholderInPlace(a, m, n, [], 0);
        if (CertifiedInverse(a, m, n, hi, tolerance) is not null) return (n, true);
        var sv = UpperMatrix(a, m, n).Svd(computeVectors: false).S;
        var max = sv.Count > 0 ? sv.AbsoluteMaximum() : 0;
        return (max == 0 ? 0 : sv.Count(v => v > tolerance * max), false);
    }

    /// <summary>
    /// Householder QR (LAPACK dgeqr2's reflector convention) of column-major a (m × n), R left in the upper triangle;
    /// the same reflections applied to b (m × k).
    /// </summary>
    internal static void HouseholderInPlace(double[] a, int m, int n, double[] b, int k)
    {
        for (var j = 0; j < n; j++)
        {
            var col = a.AsSpan((j * m) + j, m - j);
            var alpha = col[0];
            var tail = col[1..];
            var xnorm = tail.IsEmpty ? 0 : TensorPrimitives.Norm(tail);
            if (xnorm == 0) continue; // H = I
            var beta = -Math.CopySign(Hypot(alpha, xnorm), alpha);
            var tau = (beta - alpha) / beta;
            TensorPrimitives.Multiply(tail, 1 / (alpha - beta), tail);
            col[0] = beta;
            // apply H = I − τ·v·vᵀ, v = [1; tail], to the trailing columns of a and to b
            for (var c = j + 1; c < n; c++) Reflect(a.AsSpan((c * m) + j, m - j), tail, tau);
            for (var c = 0; c < k; c++) Reflect(b.AsSpan((c * m) + j, m - j), tail, tau);
        }
    }

    private static void Reflect(Span<double> y, ReadOnlySpan<double> vTail, double tau)
    {
        var rest = y[1..];
        var s = tau * (y[0] + TensorPrimitives.Dot(vTail, rest));
        if (s == 0) return;
        y[0] -= s;
        TensorPrimitives.MultiplyAdd(vTail, -s, rest, rest);
    }

    private static double Hypot(double x, double y)
    {
        x = Math.Abs(x);
        y = Math.Abs(y);
        var big = Math.Max(x, y);
        if (big == 0) return 0;
        var small = Math.Min(x, y) / big;
        return big * Math.Sqrt(1 + (small * small));
    }

    /// <summary>R⁻¹ (n × n column-major, upper) when σ_min(R) ≥ 1/‖R⁻¹‖ &gt; 2·tol·<paramref name="normBound"/>; else null.</summary>
    private static double[]? CertifiedInverse(double[] a, int m, int n, double normBound, double tolerance)
    {
        for (var j = 0; j < n; j++)
        {
            var d = a[(j * m) + j];
            if (d == 0 || !double.IsFinite(d)) return null;
        }
        // column j of R⁻¹ solves R·x = e_j (rows 0..j), column-oriented back substitution over R's columns
        var inv = new double[n * n];
        for (var j = 0; j < n; j++)
        {
            var x = inv.AsSpan(j * n, j + 1);
            x[j] = 1;
            for (var c = j; c >= 0; c--)
            {
                x[c] /= a[(c * m) + c];
                if (c > 0 && x[c] != 0) TensorPrimitives.MultiplyAdd(a.AsSpan(c * m, c), -x[c], x[..c], x[..c]);
            }
        }
        var invNorm = NormBound(inv, n, n, n);
        if (!double.IsFinite(invNorm) || invNorm == 0) return null;
        return 1 / invNorm > 2 * tolerance * normBound ? inv : null;
    }

    /// <summary>min(‖M‖_F, √(‖M‖₁·‖M‖∞)) of the column-major m × n block of leading dimension ld: an upper bound of ‖M‖₂.</summary>
    internal static double NormBound(double[] a, int ld, int m, int n)
    {
        double fro2 = 0, norm1 = 0;
        var rowSums = new double[m];
        for (var c = 0; c < n; c++)
        {
            var col = a.AsSpan(c * ld, m);
            fro2 += TensorPrimitives.Dot(col, col);
            double s = 0;
            for (var r = 0; r < m; r++)
            {
                var v = Math.Abs(col[r]);
                s += v;
                rowSums[r] += v;
            }
            norm1 = Math.Max(norm1, s);
        }
        var normInf = rowSums.Length > 0 ? TensorPrimitives.Max(rowSums) : 0;
        return Math.Min(Math.Sqrt(fro2), Math.Sqrt(norm1 * normInf));
    }

    private static Matrix<double> UpperMatrix(double[] a, int m, int n) =>
        Matrix<double>.Build.Dense(n, n, (i, j) => i <= j ? a[(j * m) + i] : 0);
}
