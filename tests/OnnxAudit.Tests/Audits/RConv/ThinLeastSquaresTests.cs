using MathNet.Numerics.LinearAlgebra;
using OnnxAudit.Audits.RConv;

namespace OnnxAudit.Tests.Audits.RConv;

/// <summary>The thin QR solve against the full SVD of A it replaced: same rank decision, same minimum-norm solution.</summary>
public class ThinLeastSquaresTests
{
    /// <summary>The former SolveGradientSystem (MathNet full SVD of A), kept here as the oracle.</summary>
    private static (Matrix<double> X, int Rank, Vector<double> S) FullSvd(Matrix<double> a, Matrix<double> b, double tol)
    {
        var svd = a.Svd(computeVectors: true);
        var sv = svd.S;
        var max = sv.AbsoluteMaximum();
        var r = max == 0 ? 0 : sv.Count(v => v > tol * max);
        var utb = svd.U.SubMatrix(0, a.RowCount, 0, r).TransposeThisAndMultiply(b);
        for (var i = 0; i < r; i++) utb.SetRow(i, utb.Row(i) / sv[i]);
        return (svd.VT.Transpose().SubMatrix(0, a.ColumnCount, 0, r) * utb, r, sv);
    }

    public static TheoryData<string, int, int, int, int> Cases() => new()
    {
        // name, rows, cols, rank (cols = full), seed
        { "random tall", 60, 40, 40, 1 },
        { "square", 30, 30, 30, 2 },
        { "rank 25 of 40 (dead filters)", 70, 40, 25, 3 },
        { "zero columns (untouched pixels)", 50, 36, 30, 4 },
    };

    [Theory, MemberData(nameof(Cases))]
    public void Solve_EqualsFullSvd_RankAndMinimumNormSolution(string name, int m, int n, int rank, int seed)
    {
        var rng = new Random(seed);
        Matrix<double> a;
        if (name.StartsWith("zero", StringComparison.Ordinal))
        {
            a = Matrix<double>.Build.Dense(m, n, (_, _) => rng.NextDouble() - 0.5);
            for (var c = rank; c < n; c++) a.ClearColumn(c);
        }
        else
        {
            var u = Matrix<double>.Build.Dense(m, rank, (_, _) => rng.NextDouble() - 0.5);
            var v = Matrix<double>.Build.Dense(rank, n, (_, _) => rng.NextDouble() - 0.5);
            a = u * v;
        }
        var b = Matrix<double>.Build.Dense(m, 3, (_, _) => rng.NextDouble() - 0.5);
        const double tol = 1e-6;
        var (x, r, _) = FullSvd(a, b, tol);
        var res = ThinLeastSquares.Solve(a.ToColumnMajorArray(), m, n, b.ToColumnMajorArray(), 3, tol);
        Assert.Equal(rank, r);
        Assert.Equal(r, res.Rank);
        Assert.Equal(rank == n, res.Certified);
        Assert.Equal(n - rank, res.NullSpace.ColumnCount);
        var diff = x.ToColumnMajorArray().Zip(res.X, (p, q) => Math.Abs(p - q)).Max();
        Assert.True(diff < 1e-11 * Math.Max(1, x.Enumerate().Max(Math.Abs)), $"{name}: max |Δx| {diff:E2}");
        // the null space is orthogonal to A's rows and orthonormal
        if (res.NullSpace.ColumnCount > 0)
        {
            Assert.True((a * res.NullSpace).FrobeniusNorm() < 1e-10 * a.FrobeniusNorm(), name);
            Assert.True((res.NullSpace.TransposeThisAndMultiply(res.NullSpace) - Matrix<double>.Build.DenseIdentity(n - rank)).FrobeniusNorm() < 1e-10, name);
        }
        var (rk, cert) = ThinLeastSquares.Rank(a.ToColumnMajorArray(), m, n, tol);
        Assert.Equal((rank, rank == n), (rk, cert));
    }

    [Fact]
    public void Rank_NearTheThreshold_FallsBackToTheSvd_AndDecidesAsTheSvd()
    {
        // singular values 1, …, and one at 3e-6 or 5e-7 with tol 1e-6: the certificate (factor 2, norm bounds) cannot
        // decide, so the SVD of R does; it must agree with the SVD of A on both sides of the threshold
        var rng = new Random(11);
        var q1 = Matrix<double>.Build.Dense(40, 20, (_, _) => rng.NextDouble() - 0.5).QR().Q.SubMatrix(0, 40, 0, 20);
        var q2 = Matrix<double>.Build.Dense(20, 20, (_, _) => rng.NextDouble() - 0.5).QR().Q;
        foreach (var small in new[] { 3e-6, 5e-7 })
        {
            var s = Matrix<double>.Build.DenseOfDiagonalArray(Enumerable.Range(0, 20).Select(i => i == 19 ? small : 1.0 - (0.01 * i)).ToArray());
            var a = q1 * s * q2.Transpose();
            var expected = FullSvd(a, Matrix<double>.Build.Dense(40, 1), 1e-6).Rank;
            var (rank, certified) = ThinLeastSquares.Rank(a.ToColumnMajorArray(), 40, 20, 1e-6);
            Assert.False(certified);
            Assert.Equal(small > 1e-6 ? 20 : 19, expected);
            Assert.Equal(expected, rank);
        }
    }

    [Theory]
    [InlineData(200, 20, 20)]
    [InlineData(200, 20, 12)]
    public void Rank_VeryTall_RowSubsetCertificate_AgreesWithTheSvd(int m, int n, int rank)
    {
        // m > 3n: the 2n largest rows certify full rank; a rank-deficient A must not be certified by them
        var rng = new Random(m + rank);
        var a = Matrix<double>.Build.Dense(m, rank, (_, _) => rng.NextDouble() - 0.5) * Matrix<double>.Build.Dense(rank, n, (_, _) => rng.NextDouble() - 0.5);
        var expected = FullSvd(a, Matrix<double>.Build.Dense(m, 1), 1e-6).Rank;
        Assert.Equal(rank, expected);
        Assert.Equal((rank, rank == n), ThinLeastSquares.Rank(a.ToColumnMajorArray(), m, n, 1e-6));
    }
}
