using MathNet.Numerics.LinearAlgebra;

namespace OnnxAudit.Audits.GradientAttack;

/// <summary>Non-negative least squares (Lawson &amp; Hanson 1974, active set) for small dense problems.</summary>
internal static class Nnls
{
    /// <summary>min ‖A·x − b‖₂ subject to x ≥ 0, where column r of A is <paramref name="columns"/>[r] (length <paramref name="rows"/>).</summary>
    /// <returns>The minimiser x.</returns>
    public static double[] Solve(IReadOnlyList<double[]> columns, double[] b, int rows)
    {
        var n = columns.Count;
        var x = new double[n];
        if (n == 0) return x;
        var a = Matrix<double>.Build.Dense(rows, n, (r, c) => columns[c][r]);
        var bv = Vector<double>.Build.Dense(b);
        var passive = new bool[n];
        const double eps = 1e-14;
        for (var outer = 0; outer < 3 * n + 3; outer++)
        {
            // w = Aᵀ(b − Ax): the negative gradient; a zero-set variable with w_j > 0 would lower the residual.
            var w = a.TransposeThisAndMultiply(bv - a * Vector<double>.Build.Dense(x));
            var t = -1;
            for (var j = 0; j < n; j++)
                if (!passive[j] && w[j] > eps && (t < 0 || w[j] > w[t])) t = j;
            if (t < 0) break;
            passive[t] = true;
            for (var inner = 0; inner < 3 * n + 3; inner++)
            {
                var idx = Enumerable.Range(0, n).Where(j => passive[j]).ToArray();
                var sub = Matrix<double>.Build.Dense(rows, idx.Length, (r, c) => a[r, idx[c]]);
                var z = sub.Svd(true).Solve(bv);
                var s = new double[n];
                for (var c = 0; c < idx.Length; c++) s[idx[c]] = z[c];
                if (idx.All(j => s[j] > eps)) { x = s; break; }
                // Step from x towards s until the first passive variable reaches zero, then free it.
                var alpha = 1.0;
                foreach (var j in idx)
                    if (s[j] <= eps) alpha = Math.Min(alpha, x[j] / Math.Max(1e-300, x[j] - s[j]));
                for (var j = 0; j < n; j++) x[j] += alpha * (s[j] - x[j]);
                foreach (var j in idx)
                    if (x[j] <= eps) { passive[j] = false; x[j] = 0; }
            }
        }
        return x;
    }

    /// <summary>‖A·x − b‖₂ at the non-negative least-squares minimiser (see <see cref="Solve"/>).</summary>
    public static double Residual(IReadOnlyList<double[]> columns, double[] b, int rows)
    {
        var x = Solve(columns, b, rows);
        double ss = 0;
        for (var r = 0; r < rows; r++)
        {
            var v = -b[r];
            for (var c = 0; c < columns.Count; c++) v += columns[c][r] * x[c];
            ss += v * v;
        }
        return Math.Sqrt(ss);
    }
}
