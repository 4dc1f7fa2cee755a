using System.Diagnostics;
using System.Globalization;
using MathNet.Numerics.LinearAlgebra;

namespace OnnxAudit.Audits.RConv;

/// <summary>
/// The R-CONV analytic reconstruction for batch size 1 (Eltaras et al.; DESIGN.md "R-CONV"): FC input by
/// division, gradient back through activations via their derivative written in their output, per-channel least
/// squares of each conv layer's weight-gradient equations, forward constraints when those are short.
/// Holds once-per-model factorisations; one instance per model; not thread-safe.
/// </summary>
internal sealed class RConvReconstructor
{
    private readonly RConvNetwork _net;
    private readonly RConvOptions _options;
    private readonly Dictionary<string, float[]> _weights = [];

    public RConvReconstructor(RConvNetwork net, RConvOptions options)
    {
        _net = net;
        _options = options;
    }

    /// <summary>∂ℓ/∂O of each conv layer as computed on the last reconstruction (for the rank check).</summary>
    public Dictionary<string, double[]> LastOutputGradients { get; } = [];

    private float[] W(string name)
    {
        if (!_weights.TryGetValue(name, out var w)) _weights[name] = w = _net.Initializer(name);
        return w;
    }

    private static float[] Grad(IReadOnlyDictionary<string, float[]> grads, string name, int expected)
    {
        if (!grads.TryGetValue(name, out var g))
            throw new ArgumentException($"gradient of parameter '{name}' is missing; R-CONV needs the single-sample gradient of every conv weight and of the first Gemm");
        if (g.Length != expected)
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"gradient of '{name}' has {g.Length} values, expected {expected}"));
        return g;
    }

    /// <summary>Reconstructs the image of one sample from its parameter gradients (keyed by initializer name).</summary>
    public RConvReconstruction Reconstruct(IReadOnlyDictionary<string, float[]> gradients)
    {
        var total = Stopwatch.StartNew();
        var steps = new List<RConvLayerStep>();
        LastOutputGradients.Clear();
        RConvReconstruction Fail(string layer, string reason) => new(false, null, steps, layer, reason, total.Elapsed.TotalSeconds);

        var stages = _net.Stages;
        if (_net.Head is not { } gemm)
            return Fail(stages.Count > 0 ? stages[^1].NodeName : _net.InputName, _net.StopReason ?? "no fully-connected layer found");
        if (gemm.BiasName is null)
            return Fail(gemm.NodeName, "the first Gemm has no bias, so its input cannot be obtained by division x_n = ∂ℓ/∂W[k,n] / ∂ℓ/∂b[k]");

        // 1. FC input by division. why: R-CONV §"Reconstructing FC Layer Input"; with Gemm α, β:
        //    ∂b = β·∂z, ∂W[k,n] = α·∂z[k]·x[n]  →  x[n] = β·∂W[k,n] / (α·∂b[k]); ∂x = α·Wᵀ∂z.
        var sw = Stopwatch.StartNew();
        int inF = gemm.InFeatures, outF = gemm.OutFeatures;
        var dB = Grad(gradients, gemm.BiasName, outF);
        var dWfc = Grad(gradients, gemm.WeightName, inF * outF);
        var wfc = W(gemm.WeightName);
        var kBest = 0;
        for (var k = 1; k < outF; k++) if (Math.Abs(dB[k]) > Math.Abs(dB[kBest])) kBest = k;
        if (dB[kBest] == 0) return Fail(gemm.NodeName, "the bias gradient of the first Gemm is zero: nothing to divide by");
        double WAt(float[] m, int k, int n) => gemm.TransB ? m[(k * inF) + n] : m[(n * outF) + k];
        var value = new double[inF];
        var grad = new double[inF];
        for (var n = 0; n < inF; n++)
        {
            value[n] = gemm.Beta * WAt(dWfc, kBest, n) / (gemm.Alpha * dB[kBest]);
            double s = 0;
            for (var k = 0; k < outF; k++) s += WAt(wfc, k, n) * dB[k] / gemm.Beta;
            grad[n] = gemm.Alpha * s;
        }
        // residual of the rank-one model ∂W = (α/β)·∂b ⊗ x over all rows
        double r2 = 0, n2 = 0;
        for (var k = 0; k < outF; k++)
            for (var n = 0; n < inF; n++)
            {
                var e = WAt(dWfc, k, n) - (gemm.Alpha / gemm.Beta * dB[k] * value[n]);
                r2 += e * e; n2 += WAt(dWfc, k, n) * (double)WAt(dWfc, k, n);
            }
        steps.Add(new RConvLayerStep(gemm.NodeName, "Gemm", RConvSolveMethod.FullyConnectedDivision, outF, inF, n2 > 0 ? Math.Sqrt(r2 / n2) : 0, sw.Elapsed.TotalSeconds));

        // 2. walk down. valueKnown: `value` holds the reconstructed output of stage i (the input of stage i+1).
        var valueKnown = true;
        for (var i = stages.Count - 2; i >= 0; i--)
        {
            var st = stages[i];
            switch (st)
            {
                case PassThroughStage: break;
                case BlockingStage b:
                    return Fail(b.NodeName, $"{b.OpType} '{b.NodeName}' sits between the recovered layer above and the conv layer below: {b.Reason}");
                case ActivationStage a:
                {
                    // why: R-CONV "Propagating Gradient Through Activation Function": ∂ℓ/∂O = ∂ℓ/∂X · A'(O), A' written in X = A(O).
                    if (!valueKnown) return Fail(a.NodeName, "the activation output is unknown, so its derivative cannot be evaluated");
                    for (var j = 0; j < grad.Length; j++) grad[j] *= a.Activation.DerivativeFromOutput(value[j]);
                    if (a.Activation.IsInvertible) for (var j = 0; j < value.Length; j++) value[j] = a.Activation.Inverse(value[j]);
                    else valueKnown = false;
                    break;
                }
                case ConvStage c:
                {
                    var r = SolveConv(c.Geometry, gradients, grad, valueKnown ? value : null, steps, out var fail);
                    if (r is null) return Fail(c.NodeName, fail!);
                    LastOutputGradients[c.NodeName] = (double[])grad.Clone();
                    grad = ConvConstraints.InputGradient(c.Geometry, grad, W(c.Geometry.WeightName));
                    value = r;
                    valueKnown = true;
                    break;
                }
                default:
                    return Fail(st.NodeName, $"operator {st.OpType} is not supported by the reconstruction");
            }
        }
        var img = value.Select(v => (float)v).ToArray();
        return new RConvReconstruction(true, img, steps, null, null, total.Elapsed.TotalSeconds);
    }

    /// <summary>The per-group SVD solution of the gradient systems: minimum-norm X, and the null space left free.</summary>
    internal sealed record GradientSolution(double[] X, double Residual, int[] Rank, Matrix<double>[] NullSpace)
    {
        public bool FullRank => NullSpace.All(z => z.ColumnCount == 0);
    }

    /// <summary>
    /// Solves every input channel of a conv layer from its weight gradient: per group, one factorisation of the
    /// (F/G)·Kh·Kw × H·W matrix of ∂ℓ/∂O coefficients (shared by the group's channels, which are its right-hand
    /// sides). Singular values below tol·σ_max are dropped: X is the minimum-norm solution and the dropped right
    /// singular vectors span what the gradient leaves free. Needs rows ≥ H·W.
    /// </summary>
    // why: issue 16 — a thin Householder QR with a rank certificate (ThinLeastSquares), the SVD of the small R only when
    // full rank is not certified; the former full SVD of A (MathNet forms the m × m U) was ~10× slower than LibTorch.
    internal static GradientSolution SolveGradientSystem(ConvGeometry g, ReadOnlySpan<double> dO, ReadOnlySpan<float> dW, double rankTolerance)
    {
        var hw = g.InH * g.InW;
        var rows = g.FiltersPerGroup * g.KernelH * g.KernelW;
        var k = g.ChannelsPerGroup;
        var x = new double[g.InChannels * hw];
        var ranks = new int[g.Groups];
        var nulls = new Matrix<double>[g.Groups];
        double res2 = 0, rhs2 = 0;
        for (var grp = 0; grp < g.Groups; grp++)
        {
            var a = ConvConstraints.GradientMatrixColumnMajor(g, dO, grp);
            var b = ConvConstraints.GradientRhsColumnMajor(g, dW, grp);
            var a0 = (double[])a.Clone();
            var b0 = (double[])b.Clone();
            var sol = ThinLeastSquares.Solve(a, rows, hw, b, k, rankTolerance);
            ranks[grp] = sol.Rank;
            nulls[grp] = sol.NullSpace;
            // residual A·X − B in original units (explicit, not from the factorisation)
            var ax = new double[rows];
            for (var c = 0; c < k; c++)
            {
                Array.Clear(ax);
                var xc = sol.X.AsSpan(c * hw, hw);
                for (var j = 0; j < hw; j++)
                    if (xc[j] != 0) System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(a0.AsSpan(j * rows, rows), xc[j], ax, ax);
                var bc = b0.AsSpan(c * rows, rows);
                System.Numerics.Tensors.TensorPrimitives.Subtract(ax, bc, ax);
                res2 += System.Numerics.Tensors.TensorPrimitives.Dot(ax, ax);
                rhs2 += System.Numerics.Tensors.TensorPrimitives.Dot(bc, bc);
                xc.CopyTo(x.AsSpan(((grp * k) + c) * hw, hw));
            }
        }
        return new GradientSolution(x, rhs2 > 0 ? Math.Sqrt(res2 / rhs2) : 0, ranks, nulls);
    }

    /// <summary>
    /// Fixes the null-space components the gradient left free with the forward equations:
    /// X = X⁰ + Z·α per channel, α from least squares of W*(X⁰ + Zα) + b = O. Null when the combined system is
    /// short or rank-deficient.
    /// </summary>
    internal static (double[] X, double Residual)? SolveCombined(ConvGeometry g, GradientSolution gs, ReadOnlySpan<float> w, ReadOnlySpan<float> bias, ReadOnlySpan<double> o, double rankTolerance)
    {
        var hw = g.InH * g.InW;
        var x = (double[])gs.X.Clone();
        double res2 = 0, rhs2 = 0;
        for (var grp = 0; grp < g.Groups; grp++)
        {
            var z = gs.NullSpace[grp];
            var d = z.ColumnCount;
            var rows = ConvConstraints.ForwardRows(g, w, grp);
            var cols = g.ChannelsPerGroup * d;
            if (d == 0) continue;
            if (rows.Length < cols) return null;
            var m = Matrix<double>.Build.Dense(rows.Length, cols);
            var rhs = Vector<double>.Build.Dense(rows.Length);
            var ohw = g.OutH * g.OutW;
            for (var r = 0; r < rows.Length; r++)
            {
                var f = (grp * g.FiltersPerGroup) + (r / ohw);
                var t = o[(grp * g.FiltersPerGroup * ohw) + r] - (bias.IsEmpty ? 0 : bias[f]);
                foreach (var (col, coef) in rows[r])
                {
                    int cl = col / hw, pix = col % hw;
                    t -= coef * x[(((grp * g.ChannelsPerGroup) + cl) * hw) + pix];
                    for (var k = 0; k < d; k++) m[r, (cl * d) + k] += coef * z[pix, k];
                }
                rhs[r] = t;
            }
            var qr = m.QR(MathNet.Numerics.LinearAlgebra.Factorization.QRMethod.Thin);
            var rd = qr.R.Diagonal().Map(Math.Abs);
            if (rd.Minimum() <= rankTolerance * rd.Maximum()) return null;
            var alpha = qr.Solve(rhs);
            var resid = (m * alpha) - rhs;
            res2 += resid.DotProduct(resid);
            rhs2 += rhs.DotProduct(rhs);
            for (var cl = 0; cl < g.ChannelsPerGroup; cl++)
            {
                var add = z * alpha.SubVector(cl * d, d);
                for (var p = 0; p < hw; p++) x[(((grp * g.ChannelsPerGroup) + cl) * hw) + p] += add[p];
            }
        }
        return (x, rhs2 > 0 ? Math.Sqrt(res2 / rhs2) : 0);
    }

    /// <summary>
    /// Numerical rank of each group's gradient constraint matrix built from ∂ℓ/∂O (singular values above
    /// tol·σ_max). why: DESIGN.md "R-CONV" — counting rows over-states the risk when ReLU zeroes ∂ℓ/∂O entries.
    /// </summary>
    internal static IReadOnlyList<RConvRankCheck> RankCheck(ConvGeometry g, ReadOnlySpan<double> dO, double tolerance, string source)
    {
        var list = new List<RConvRankCheck>();
        var rows = g.FiltersPerGroup * g.KernelH * g.KernelW;
        var hw = g.InH * g.InW;
        for (var grp = 0; grp < g.Groups; grp++)
        {
            // the thin factorisation needs a tall matrix: a short A (rows < H·W) is factorised as Aᵀ (same singular values)
            var tall = rows >= hw;
            var a = ConvConstraints.GradientMatrixColumnMajor(g, dO, grp, transpose: !tall);
            var zero = 0;
            for (var r = 0; r < rows; r++)
            {
                var nonzero = false;
                if (tall) { for (var c = 0; c < hw && !nonzero; c++) nonzero = a[((long)c * rows) + r] != 0; }
                else nonzero = a.AsSpan(r * hw, hw).ContainsAnyExcept(0.0);
                if (!nonzero) zero++;
            }
            var (rank, _) = tall ? ThinLeastSquares.Rank(a, rows, hw, tolerance) : ThinLeastSquares.Rank(a, hw, rows, tolerance);
            list.Add(new RConvRankCheck(g.Name, grp, rows, hw, zero, rank, tolerance, source));
        }
        return list;
    }

    private double[]? SolveConv(ConvGeometry g, IReadOnlyDictionary<string, float[]> gradients, double[] dO, double[]? o,
        List<RConvLayerStep> steps, out string? failure)
    {
        failure = null;
        var sw = Stopwatch.StartNew();
        var hw = g.InH * g.InW;
        var rows = g.FiltersPerGroup * g.KernelH * g.KernelW;
        var fwdRows = g.OutChannels * g.OutH * g.OutW;
        var unknowns = g.InChannels * hw;
        string gradientProblem;
        GradientSolution? gs = null;
        if (rows >= hw)
        {
            var dW = Grad(gradients, g.WeightName, g.OutChannels * g.ChannelsPerGroup * g.KernelH * g.KernelW);
            gs = SolveGradientSystem(g, dO, dW, _options.RankTolerance);
            if (gs.FullRank)
            {
                steps.Add(new RConvLayerStep(g.Name, "Conv", RConvSolveMethod.GradientConstraints, rows, hw, gs.Residual, sw.Elapsed.TotalSeconds));
                return gs.X;
            }
            gradientProblem = string.Create(CultureInfo.InvariantCulture,
                $"its gradient system has rank {gs.Rank.Min()} < H·W = {hw} per channel on this sample ({rows} rows; stride phases or silenced filters)");
        }
        else
        {
            gradientProblem = string.Create(CultureInfo.InvariantCulture, $"gradient constraints are short (F·Kh·Kw = {rows} < H·W = {hw} per channel)");
        }

        if (o is null)
        {
            failure = $"{gradientProblem}, and the forward constraints W*X + b = O need O, which is unknown here (the activation above is not invertible, or there is no reconstructed layer above)";
            return null;
        }
        if (gs is null && fwdRows + (g.InChannels * (long)rows) >= unknowns)
        {
            // why: the gradient rows alone are short, the forward rows alone are (for the R-CONV LeNet's layer 1) exactly
            // determined and ill-conditioned; stacked they are over-determined and well-conditioned (JointSystem remarks).
            var dW = Grad(gradients, g.WeightName, g.OutChannels * g.ChannelsPerGroup * g.KernelH * g.KernelW);
            var js = JointSystem.Solve(g, W(g.WeightName), g.BiasName is null ? default : W(g.BiasName), o, dO, dW, _options.JointTolerance);
            if (js.ForwardResidual <= _options.JointResidualLimit)
            {
                steps.Add(new RConvLayerStep(g.Name, "Conv", RConvSolveMethod.JointGradientForward, js.Rows, unknowns, js.ForwardResidual, sw.Elapsed.TotalSeconds) { Iterations = js.Iterations });
                return js.X;
            }
            failure = string.Create(CultureInfo.InvariantCulture,
                $"{gradientProblem}, and the stacked forward + gradient system ({js.Rows} rows, {unknowns} unknowns) leaves a forward residual of {js.ForwardResidual:G3}: the constraints are inconsistent or rank-deficient here");
            return null;
        }
        if (gs is not null)
        {
            var free = gs.NullSpace.Sum(z => z.ColumnCount) * g.ChannelsPerGroup;
            var comb = SolveCombined(g, gs, W(g.WeightName), g.BiasName is null ? default : W(g.BiasName), o, _options.RankTolerance);
            if (comb is { } c)
            {
                steps.Add(new RConvLayerStep(g.Name, "Conv", RConvSolveMethod.CombinedConstraints, fwdRows, free, c.Residual, sw.Elapsed.TotalSeconds));
                return c.X;
            }
            failure = string.Create(CultureInfo.InvariantCulture,
                $"{gradientProblem}, and the forward equations (F·Oh·Ow = {fwdRows}) do not determine the {free} unknowns the gradient leaves free");
            return null;
        }
        failure = string.Create(CultureInfo.InvariantCulture,
            $"{gradientProblem}, and the forward constraints are {(fwdRows < unknowns ? $"short too (F·Oh·Ow = {fwdRows} < N·H·W = {unknowns})" : "numerically rank-deficient for these weights")}");
        return null;
    }
}
