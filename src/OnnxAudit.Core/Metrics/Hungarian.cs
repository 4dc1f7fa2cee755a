namespace OnnxAudit.Metrics;

/// <summary>
/// Minimum-cost assignment (Hungarian method with potentials, O(n²m)) for a rectangular cost matrix.
/// Stateless and thread-safe.
/// </summary>
public static class Hungarian
{
    /// <summary>
    /// Assigns rows to distinct columns minimising the total cost. Returns, for each row, its column, or −1 when
    /// rows outnumber columns and the row is left unassigned (then every column is used exactly once).
    /// </summary>
    /// <exception cref="ArgumentException">A cost is NaN or infinite.</exception>
    public static int[] Solve(double[,] cost)
    {
        ArgumentNullException.ThrowIfNull(cost);
        int rows = cost.GetLength(0), cols = cost.GetLength(1);
        foreach (var c in cost)
        {
            if (!double.IsFinite(c)) throw new ArgumentException("costs must be finite", nameof(cost));
        }
        if (rows == 0 || cols == 0) return Enumerable.Repeat(-1, rows).ToArray();
        if (rows <= cols) return SolveWide(rows, cols, (i, j) => cost[i, j]);
        // more rows than columns: solve the transpose and invert
        var colToRow = SolveWide(cols, rows, (i, j) => cost[j, i]);
        var result = Enumerable.Repeat(-1, rows).ToArray();
        for (var c = 0; c < cols; c++) result[colToRow[c]] = c;
        return result;
    }

    /// <summary>The total cost of an assignment returned by <see cref="Solve"/>.</summary>
    public static double TotalCost(double[,] cost, int[] assignment)
    {
        double total = 0;
        for (var i = 0; i < assignment.Length; i++)
        {
            if (assignment[i] >= 0) total += cost[i, assignment[i]];
        }
        return total;
    }

    // Shortest augmenting paths with row/column potentials u, v (n ≤ m); 1-based with a virtual column 0.
    private static int[] SolveWide(int n, int m, Func<int, int, double> a)
    {
        var u = new double[n + 1];
        var v = new double[m + 1];
        var p = new int[m + 1];   // p[j] = row matched to column j (0 = none)
        var way = new int[m + 1];
        for (var i = 1; i <= n; i++)
        {
            p[0] = i;
            var j0 = 0;
            var minv = new double[m + 1];
            Array.Fill(minv, double.PositiveInfinity);
            var used = new bool[m + 1];
            do
            {
                used[j0] = true;
                int i0 = p[j0], j1 = 0;
                var delta = double.PositiveInfinity;
                for (var j = 1; j <= m; j++)
                {
                    if (used[j]) continue;
                    var cur = a(i0 - 1, j - 1) - u[i0] - v[j];
                    if (cur < minv[j])
                    {
                        minv[j] = cur;
                        way[j] = j0;
                    }
                    if (minv[j] < delta)
                    {
                        delta = minv[j];
                        j1 = j;
                    }
                }
                for (var j = 0; j <= m; j++)
                {
                    if (used[j])
                    {
                        u[p[j]] += delta;
                        v[j] -= delta;
                    }
                    else
                    {
                        minv[j] -= delta;
                    }
                }
                j0 = j1;
            }
            while (p[j0] != 0);
            do
            {
                var j1 = way[j0];
                p[j0] = p[j1];
                j0 = j1;
            }
            while (j0 != 0);
        }
        var result = Enumerable.Repeat(-1, n).ToArray();
        for (var j = 1; j <= m; j++)
        {
            if (p[j] != 0) result[p[j] - 1] = j - 1;
        }
        return result;
    }
}
