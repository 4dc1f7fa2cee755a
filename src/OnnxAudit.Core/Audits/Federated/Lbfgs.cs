namespace OnnxAudit.Audits.Federated;

/// <summary>
/// Limited-memory BFGS (Nocedal &amp; Wright, Alg. 7.4, two-loop recursion, memory m) with a backtracking Armijo line search,
/// on float32 vectors with double accumulation, budgeted by function evaluations. Used by DLG (Zhu et al. 2019 use
/// torch.optim.LBFGS). Not thread-safe.
/// </summary>
internal static class Lbfgs
{
    /// <summary>Minimises <paramref name="f"/> from <paramref name="x"/> in place; f(x, grad) returns the value and writes
    /// the gradient. Stops after <paramref name="maxEvaluations"/> evaluations or when the step or gradient vanishes.
    /// Returns the best value seen (x holds its point).</summary>
    public static double Minimize(Func<float[], float[], double> f, float[] x, int maxEvaluations, int memory = 10)
    {
        var n = x.Length;
        var g = new float[n];
        var fx = f(x, g);
        var evals = 1;
        var s = new List<double[]>();
        var y = new List<double[]>();
        var rho = new List<double>();
        var d = new double[n];
        var xNew = new float[n];
        var gNew = new float[n];
        var alpha = new double[memory];
        var first = true;
        while (evals < maxEvaluations)
        {
            // two-loop recursion: d = −H·g
            for (var i = 0; i < n; i++) d[i] = -g[i];
            for (var j = s.Count - 1; j >= 0; j--)
            {
                alpha[j] = rho[j] * Dot(s[j], d);
                for (var i = 0; i < n; i++) d[i] -= alpha[j] * y[j][i];
            }
            if (s.Count > 0)
            {
                var gamma = Dot(s[^1], y[^1]) / Dot(y[^1], y[^1]);
                for (var i = 0; i < n; i++) d[i] *= gamma;
            }
            for (var j = 0; j < s.Count; j++)
            {
                var beta = rho[j] * Dot(y[j], d);
                for (var i = 0; i < n; i++) d[i] += s[j][i] * (alpha[j] - beta);
            }
            var slope = 0.0;
            for (var i = 0; i < n; i++) slope += d[i] * g[i];
            if (!(slope < 0))
            {
                // not a descent direction: restart from steepest descent
                s.Clear(); y.Clear(); rho.Clear();
                for (var i = 0; i < n; i++) d[i] = -g[i];
                slope = -Dot(d, d);
                first = true;
                if (slope == 0) break;
            }
            // why: like torch.optim.LBFGS, the first step is scaled to min(1, 1/|g|₁) so it stays in range.
            var t = first ? Math.Min(1.0, 1.0 / d.Sum(Math.Abs)) : 1.0;
            first = false;
            double fNew;
            while (true)
            {
                for (var i = 0; i < n; i++) xNew[i] = (float)(x[i] + t * d[i]);
                fNew = f(xNew, gNew);
                evals++;
                if (double.IsFinite(fNew) && fNew <= fx + 1e-4 * t * slope) break;
                t *= 0.5;
                if (evals >= maxEvaluations || t < 1e-12) return fx;
            }
            var sk = new double[n];
            var yk = new double[n];
            for (var i = 0; i < n; i++) { sk[i] = xNew[i] - x[i]; yk[i] = gNew[i] - g[i]; }
            var sy = Dot(sk, yk);
            if (sy > 1e-12)
            {
                if (s.Count == memory) { s.RemoveAt(0); y.RemoveAt(0); rho.RemoveAt(0); }
                s.Add(sk); y.Add(yk); rho.Add(1 / sy);
            }
            Array.Copy(xNew, x, n);
            Array.Copy(gNew, g, n);
            var done = Math.Abs(fx - fNew) < 1e-12 * Math.Max(1, Math.Abs(fx));
            fx = fNew;
            if (done) break;
        }
        return fx;
    }

    private static double Dot(double[] a, double[] b)
    {
        var s = 0.0;
        for (var i = 0; i < a.Length; i++) s += a[i] * b[i];
        return s;
    }
}
