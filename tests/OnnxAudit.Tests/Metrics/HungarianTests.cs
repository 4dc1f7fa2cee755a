using FsCheck;
using FsCheck.Fluent;
using OnnxAudit.Metrics;

namespace OnnxAudit.Tests.Metrics;

public sealed class HungarianTests
{
    [Fact]
    public void Solve_ThreeByThree_HandCase()
    {
        // rows → cols 1, 0, 2 cost 1 + 2 + 2 = 5 is the unique optimum (checked by enumerating the 6 permutations)
        double[,] cost = { { 4, 1, 3 }, { 2, 0, 5 }, { 3, 2, 2 } };
        Assert.Equal([1, 0, 2], Hungarian.Solve(cost));
        Assert.Equal(5, Hungarian.TotalCost(cost, Hungarian.Solve(cost)));
    }

    [Fact]
    public void Solve_Rectangular_BothOrientations()
    {
        double[,] wide = { { 9, 1, 9, 9 }, { 9, 9, 9, 2 } };
        Assert.Equal([1, 3], Hungarian.Solve(wide));
        double[,] tall = { { 9, 9 }, { 1, 9 }, { 9, 9 }, { 9, 2 } };
        Assert.Equal([-1, 0, -1, 1], Hungarian.Solve(tall));
    }

    [Fact]
    public void Solve_NonFinite_Throws()
    {
        Assert.Throws<ArgumentException>(() => Hungarian.Solve(new double[,] { { double.NaN } }));
    }

    [Fact]
    public void Solve_RandomMatrices_MatchBruteForce()
    {
        var gen =
            from rows in Gen.Choose(1, 5)
            from cols in Gen.Choose(1, 5)
            from values in Gen.ArrayOf(Gen.Choose(-20, 50), rows * cols)
            select (rows, cols, values);
        Prop.ForAll(gen.ToArbitrary(), t =>
        {
            var cost = new double[t.rows, t.cols];
            for (var i = 0; i < t.rows; i++)
            {
                for (var j = 0; j < t.cols; j++) cost[i, j] = t.values[i * t.cols + j];
            }
            var a = Hungarian.Solve(cost);
            var assigned = a.Where(c => c >= 0).ToArray();
            return assigned.Length == Math.Min(t.rows, t.cols)
                && assigned.Distinct().Count() == assigned.Length
                && Math.Abs(Hungarian.TotalCost(cost, a) - BruteForce(cost)) < 1e-9;
        }).QuickCheckThrowOnFailure();
    }

    private static double BruteForce(double[,] cost)
    {
        int rows = cost.GetLength(0), cols = cost.GetLength(1);
        var best = double.PositiveInfinity;
        var used = new bool[Math.Max(rows, cols)];
        // assign each of the min(rows, cols) items of the smaller side to distinct items of the larger side
        var transpose = rows > cols;
        int small = Math.Min(rows, cols), large = Math.Max(rows, cols);
        void Go(int i, double acc)
        {
            if (i == small)
            {
                best = Math.Min(best, acc);
                return;
            }
            for (var j = 0; j < large; j++)
            {
                if (used[j]) continue;
                used[j] = true;
                Go(i + 1, acc + (transpose ? cost[j, i] : cost[i, j]));
                used[j] = false;
            }
        }
        Go(0, 0);
        return best;
    }
}
