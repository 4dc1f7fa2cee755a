using System.Globalization;
using MathNet.Numerics.LinearAlgebra;

namespace OnnxAudit.Audits.GradientAttack;

/// <summary>
/// The deterministic attack of Pan et al. (§5, Algorithms B.1–B.3) on the victim's batch-averaged gradient of an
/// FCN head, using only the head's weights and the gradient. Stateless and thread-safe.
/// </summary>
internal static class AnalyticGradientAttack
{
    /// <summary>Runs B.1 → B.2 → scales → B.3 → input recovery.</summary>
    /// <param name="head">The head (weights known to the attacker).</param>
    /// <param name="gradient">Averaged gradient keyed by initializer name, each in the initializer's layout.</param>
    /// <param name="options">Tolerance.</param>
    public static GradientAttackResult Run(FcnHead head, IReadOnlyDictionary<string, float[]> gradient, GradientAttackOptions options)
    {
        var notes = new List<string>();
        var hCount = head.Layers.Count - 1; // H, the number of ReLU layers
        var k = head.Classes;
        var last = head.Layers[^1];
        var gH = head.WeightGradient(gradient, hCount); // [K, d_H]
        var groups = GroupColumns(gH, k, last.In, options.RelativeTolerance, options.ConeTolerance, notes);
        var m = groups.Count;
        if (m == 0)
            return new GradientAttackResult(0, [], LossScaleMethod.TwoThirdsRule, "none", [.. notes, "B.1 found no group of ≥ 2 columns with equal class ratios: no sample has two ExANs at the last ReLU layer"]);

        // B.2 and the loss vectors: direction u^m (unit norm, sign kept since h > 0) of each group.
        var dirs = groups.Select(gr => Direction(gH, k, last.In, gr)).ToArray();
        var labels = new int[m];
        var fromSign = new bool[m];
        for (var s = 0; s < m; s++)
        {
            var neg = Enumerable.Range(0, k).Where(c => dirs[s][c] < 0).ToArray();
            // why: Remark 1 / Algorithm B.2 — only the label's entry p_Y − 1 is negative. When rounding leaves none
            // (p_Y == 1 in float32) or several, fall back to the smallest entry and say so.
            fromSign[s] = neg.Length == 1;
            labels[s] = neg.Length == 1 ? neg[0] : Enumerable.Range(0, k).MinBy(c => dirs[s][c]);
        }

        var scales = new double[m];
        var method = LossScaleMethod.TwoThirdsRule;
        var gb = head.BiasGradient(gradient, hCount);
        if (gb is not null && m < k)
        {
            // why: DESIGN.md — with a last bias, ∂b_H = (1/M) Σ_m s_m u^m gives K equations in the M scales;
            // solving them replaces the paper's 2δ/3 guess (B.1 line 14).
            var a = Matrix<double>.Build.Dense(k, m, (c, s) => dirs[s][c] / m);
            var rhs = Vector<double>.Build.Dense(k, c => gb[c]);
            var sol = a.Svd(true).Solve(rhs);
            var resid = (a * sol - rhs).L2Norm() / Math.Max(1e-30, rhs.L2Norm());
            if (sol.All(v => v > 0 && double.IsFinite(v)))
            {
                method = LossScaleMethod.LastBiasLeastSquares;
                for (var s = 0; s < m; s++) scales[s] = sol[s];
                notes.Add(string.Create(CultureInfo.InvariantCulture, $"loss-vector scales from the last bias gradient (relative residual {resid:E2})"));
            }
            else notes.Add("last-bias least squares gave a non-positive scale: some sample lacks a group (batch outside the insecure boundary?); using the 2δ/3 rule");
        }
        else if (gb is not null) notes.Add($"{m} groups ≥ {k} classes: the last-bias equations cannot fix the scales; using the 2δ/3 rule");
        if (method == LossScaleMethod.TwoThirdsRule)
            for (var s = 0; s < m; s++) scales[s] = 2.0 / 3.0 / Math.Abs(dirs[s][labels[s]]); // ḡ_Y = −2/3
        var lossVectors = dirs.Select((u, s) => u.Select(v => (float)(v * scales[s])).ToArray()).ToArray();

        // B.3: activation patterns and ExANs of every layer, from the last ReLU layer down to the first.
        var exans = groups.Select(gr => gr.ToArray()).ToArray(); // I_i^m at the current layer i (starting at H)
        var failures = new string?[m];
        var patterns = new bool[hCount + 1][][]; // patterns[i][s] = diag(D_i^s), i = 1…H−1 (index i)
        for (var i = hCount - 1; i >= 1; i--)
        {
            var gw = head.WeightGradient(gradient, i); // [d_{i+1}, d_i]
            var width = head.Layers[i].In;
            patterns[i] = new bool[m][];
            for (var s = 0; s < m; s++)
            {
                if (exans[s].Length == 0) { patterns[i][s] = new bool[width]; failures[s] ??= $"no ExAN left at layer {i + 1}"; continue; }
                // why: Algorithm B.3 line 7 — the gradient row of an ExAN j (our [out, in] layout; the paper's "column")
                // is (1/M)·δ_j·h_i^m, non-zero exactly where sample m activates layer i. A row of a neuron shared with a
                // sample of much smaller loss still points along sample m's loss vector within float precision (so B.1
                // may put it in m's group) but its non-zeros are the union of both patterns; the intersection over all
                // rows of the group is m's pattern as soon as one of them is a true ExAN (N_H ≥ 2 guarantees it).
                var p = new bool[width];
                Array.Fill(p, true);
                foreach (var j in exans[s])
                    for (var c = 0; c < width; c++)
                        if (gw[j * width + c] == 0f) p[c] = false;
                patterns[i][s] = p;
            }
            exans = Exclusive(patterns[i], width);
            for (var s = 0; s < m; s++)
                if (exans[s].Length == 0) failures[s] ??= $"B.3: no ExAN at ReLU layer {i}";
        }

        // Input recovery at the head input.
        var g0 = head.WeightGradient(gradient, 0); // [d_1, d_0]
        var b0 = head.BiasGradient(gradient, 0);
        var d0 = head.InputWidth;
        var inputs = new float[]?[m];
        string inputMethod;
        if (b0 is not null)
        {
            inputMethod = "bias division";
            for (var s = 0; s < m; s++)
            {
                if (exans[s].Length == 0) { failures[s] ??= "no ExAN at the first ReLU layer"; continue; }
                // why: DESIGN.md — for an ExAN row j of sample m, ∂W_0[j,:] = (1/M)δ_j x_m and ∂b_0[j] = (1/M)δ_j.
                var j = exans[s].MaxBy(r => Math.Abs(b0[r]));
                if (!(Math.Abs(b0[j]) > 0)) { failures[s] ??= "first-layer bias gradient is zero on every ExAN"; continue; }
                inputs[s] = [.. g0.AsSpan(j * d0, d0).ToArray().Select(v => v / b0[j])];
            }
        }
        else
        {
            inputMethod = "least squares";
            LeastSquaresInputs(head, gradient, lossVectors, patterns, m, g0, inputs, failures, notes);
        }
        var samples = Enumerable.Range(0, m).Select(s => new RecoveredSample(labels[s], fromSign[s], lossVectors[s], groups[s].ToArray(),
            inputs[s], inputs[s] is null ? failures[s] ?? "not recovered" : null)).ToList();
        return new GradientAttackResult(m, samples, method, inputMethod, notes);
    }

    /// <summary>
    /// B.1 grouping: columns j of ∂W_H with the same direction (within <paramref name="tol"/>) form groups of size ≥ 2;
    /// groups whose direction lies in the cone of the other groups' directions are dropped.
    /// </summary>
    internal static List<List<int>> GroupColumns(float[] gH, int k, int width, double tol, double coneTol, List<string> notes)
    {
        var units = new double[width][];
        var norms = new double[width];
        var skipped = 0;
        for (var j = 0; j < width; j++)
        {
            double norm = 0;
            var finite = true;
            for (var c = 0; c < k; c++)
            {
                var v = gH[c * width + j];
                if (!float.IsFinite(v)) finite = false;
                norm += (double)v * v;
            }
            norm = Math.Sqrt(norm);
            // why: zero / non-finite guard — an inactive neuron has an all-zero column (r_c = 0/0 in B.1 line 3).
            if (!finite || !(norm > 0)) { skipped++; continue; }
            // why: B.1 divides by [Ḡ_H]_1, which can be ~0; normalising by the column norm keeps every ratio
            // r_c = u_c/u_1 while making the tolerance relative to the column's magnitude.
            norms[j] = norm;
            units[j] = [.. Enumerable.Range(0, k).Select(c => gH[c * width + j] / norm)];
        }
        var assigned = new bool[width];
        var groups = new List<List<int>>();
        // Seeds in order of decreasing norm: a group is seeded by its strongest column.
        foreach (var j in Enumerable.Range(0, width).Where(j => units[j] is not null).OrderByDescending(j => norms[j]))
        {
            if (assigned[j]) continue;
            var group = new List<int> { j };
            assigned[j] = true;
            for (var q = 0; q < width; q++)
            {
                if (units[q] is null || assigned[q]) continue;
                if (MaxAbsDiff(units[j], units[q]) <= tol) { group.Add(q); assigned[q] = true; }
            }
            // why: a single column can be a mixture of several samples; only repeats (≥ 2) identify a sample (N_H ≥ 2).
            if (group.Count >= 2) groups.Add(group);
        }
        // why: a column shared by samples a and b is h_a·ḡ^a + h_b·ḡ^b (h ≥ 0): its direction lies on the arc between
        // u^a and u^b. In trained models the loss vectors differ by orders of magnitude, so such mixtures crowd near the
        // dominant sample's direction and two of them can agree within the tolerance — a spurious group. Samples'
        // directions are the extreme rays of the cone the columns span; a group inside the cone of the others is a
        // mixture. Drop the one with the smallest residual first and re-test (M < K keeps true directions independent).
        var dropped = 0;
        while (groups.Count > 1)
        {
            var dirs = groups.Select(gr => GroupDirection(units, gr, k)).ToArray();
            var best = -1;
            var bestResid = double.PositiveInfinity;
            for (var q = 0; q < groups.Count; q++)
            {
                var others = Enumerable.Range(0, groups.Count).Where(r => r != q).Select(r => dirs[r]).ToArray();
                var resid = Nnls.Residual(others, dirs[q], k);
                if (resid < bestResid) { bestResid = resid; best = q; }
            }
            if (!(bestResid <= coneTol)) break;
            groups.RemoveAt(best);
            dropped++;
        }
        if (dropped > 0) notes.Add($"B.1: dropped {dropped} groups whose direction is a non-negative mixture of other groups' (shared columns)");
        notes.Add($"B.1: {width - skipped} non-zero columns, {groups.Count} groups of ≥ 2 (sizes {string.Join(",", groups.Select(g => g.Count))})");
        return groups;
    }

    private static double MaxAbsDiff(double[] a, double[] b)
    {
        double d = 0;
        for (var c = 0; c < a.Length; c++) d = Math.Max(d, Math.Abs(a[c] - b[c]));
        return d;
    }

    private static double[] GroupDirection(double[][] units, List<int> group, int k)
    {
        var d = new double[k];
        foreach (var j in group) for (var c = 0; c < k; c++) d[c] += units[j][c];
        var n = Math.Sqrt(d.Sum(v => v * v));
        return [.. d.Select(v => v / n)];
    }

    private static double[] Direction(float[] gH, int k, int width, List<int> group)
    {
        // The group's column of largest norm (the others agree within tolerance).
        var j = group.MaxBy(c => Enumerable.Range(0, k).Sum(r => (double)gH[r * width + c] * gH[r * width + c]));
        var col = Enumerable.Range(0, k).Select(c => (double)gH[c * width + j]).ToArray();
        var n = Math.Sqrt(col.Sum(v => v * v));
        return [.. col.Select(v => v / n)];
    }

    private static double RowNorm(float[] w, int width, int row)
    {
        double s = 0;
        for (var c = 0; c < width; c++) s += (double)w[row * width + c] * w[row * width + c];
        return s;
    }

    /// <summary>ExAN index sets from activation patterns: neurons active for exactly one sample.</summary>
    internal static int[][] Exclusive(bool[][] patterns, int width)
    {
        var count = new int[width];
        foreach (var p in patterns) for (var j = 0; j < width; j++) if (p[j]) count[j]++;
        return [.. patterns.Select(p => Enumerable.Range(0, width).Where(j => p[j] && count[j] == 1).ToArray())];
    }

    /// <summary>
    /// Without a first-layer bias: complete the patterns (D_H from the ∂W_H columns, per-column non-negative fit of
    /// the M loss vectors), back-propagate δ_1^m = D_1 W_1ᵀ … D_H W_Hᵀ ḡ^m, then solve ∂W_0 = (1/M) Δᵀ X by least squares.
    /// </summary>
    private static void LeastSquaresInputs(FcnHead head, IReadOnlyDictionary<string, float[]> gradient, float[][] g, bool[][][] patterns,
        int m, float[] g0, float[]?[] inputs, string?[] failures, List<string> notes)
    {
        var hCount = head.Layers.Count - 1;
        var d0 = head.InputWidth;
        var d1 = head.Layers[0].Out;
        if (d1 < m) { for (var s = 0; s < m; s++) failures[s] ??= $"least squares needs d_1 = {d1} ≥ M = {m}"; return; }
        var k = head.Classes;
        var last = head.Layers[^1];
        var gH = head.WeightGradient(gradient, hCount);
        // D_H^m: column j of ∂W_H equals (1/M) Σ_m ḡ^m h_{H,j}^m; fit h_{H,j} ≥ 0 by least squares.
        var a = Matrix<double>.Build.Dense(k, m, (c, s) => g[s][c] / (double)m);
        var svd = a.Svd(true);
        var dH = new bool[m][];
        for (var s = 0; s < m; s++) dH[s] = new bool[last.In];
        for (var j = 0; j < last.In; j++)
        {
            var col = Vector<double>.Build.Dense(k, c => gH[c * last.In + j]);
            if (col.L2Norm() == 0) continue;
            var h = svd.Solve(col);
            var max = h.AbsoluteMaximum();
            for (var s = 0; s < m; s++) dH[s][j] = h[s] > 1e-3 * max;
        }
        patterns[hCount] = dH;
        // δ at the first ReLU layer for every sample.
        var delta = new double[m][];
        for (var s = 0; s < m; s++)
        {
            double[] d = [.. g[s].Select(v => (double)v)];
            for (var i = hCount; i >= 1; i--)
            {
                var l = head.Layers[i];
                var back = new double[l.In];
                for (var r = 0; r < l.Out; r++)
                {
                    if (d[r] == 0) continue;
                    for (var c = 0; c < l.In; c++) back[c] += l.Weight[r * l.In + c] * d[r];
                }
                var p = patterns[i]?[s];
                for (var c = 0; c < l.In; c++) if (p is null || !p[c]) back[c] = 0;
                d = back;
            }
            delta[s] = d;
        }
        var sys = Matrix<double>.Build.Dense(d1, m, (r, s) => delta[s][r] / m);
        var rhs = Matrix<double>.Build.Dense(d1, d0, (r, c) => g0[r * d0 + c]);
        var x = sys.Svd(true).Solve(rhs);
        var resid = (sys * x - rhs).FrobeniusNorm() / Math.Max(1e-30, rhs.FrobeniusNorm());
        notes.Add(string.Create(CultureInfo.InvariantCulture, $"least-squares input recovery: relative residual {resid:E2}"));
        for (var s = 0; s < m; s++) inputs[s] = [.. Enumerable.Range(0, d0).Select(c => (float)x[s, c])];
    }
}
