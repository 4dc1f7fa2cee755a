using OnnxAudit.Common;
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

    /// <summary>Multiple of the most negative recovered ReLU output (its noise) below which a recovered value counts as zero.</summary>
    internal const double ReluNoiseFactor = 2;

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

        // 2. walk down the stages in reverse topological order. A tensor's gradient is the sum over its readers (all
        //    processed before its producer); its value comes from the first reader that recovers its input (a conv
        //    solve, an invertible activation or affine map, a pass-through or a concat slice).
        // why: issue 17 item 4 — residual and branched graphs: a residual Add passes ∂ℓ/∂y to both inputs, so the block
        //    convs are solved as in a chain and the shortcut's gradient joins the block input's; a tensor read by a conv
        //    that cannot be solved still gets its value when another reader's solve gives it.
        var values = new Dictionary<string, double[]>(StringComparer.Ordinal) { [gemm.Inputs[0]] = value };
        var grads = new Dictionary<string, double[]>(StringComparer.Ordinal) { [gemm.Inputs[0]] = grad };
        var poisoned = new HashSet<string>(StringComparer.Ordinal); // a reader could not pass its gradient share on
        (string Layer, string Reason)? cause = null, consequence = null;
        void AddGrad(string t, double[] d)
        {
            if (grads.TryGetValue(t, out var acc)) { for (var j = 0; j < acc.Length; j++) acc[j] += d[j]; }
            else grads[t] = d;
        }
        void SetValue(string t, double[] v) => values.TryAdd(t, v);
        for (var i = stages.Count - 2; i >= 0; i--)
        {
            var st = stages[i];
            if (poisoned.Contains(st.Output) || !grads.TryGetValue(st.Output, out var g))
            {
                foreach (var x in st.Inputs) poisoned.Add(x);
                continue;
            }
            values.TryGetValue(st.Output, out var v);
            var x0 = st.Inputs[0];
            switch (st)
            {
                case PassThroughStage:
                    AddGrad(x0, (double[])g.Clone());
                    if (v is not null) SetValue(x0, v);
                    break;
                case BlockingStage b:
                    cause ??= (b.NodeName, $"{b.OpType} '{b.NodeName}' sits between the recovered layer above and the conv layer below: {b.Reason}");
                    poisoned.Add(x0);
                    break;
                case ActivationStage a:
                {
                    // why: R-CONV "Propagating Gradient Through Activation Function": ∂ℓ/∂O = ∂ℓ/∂X · A'(O), A' written in X = A(O).
                    if (v is null)
                    {
                        consequence ??= (a.NodeName, "the activation output is unknown, so its derivative cannot be evaluated");
                        poisoned.Add(x0);
                        break;
                    }
                    var d = new double[g.Length];
                    // why: a ReLU output recovered by the conv solve above is exact only to ~1e-7 relative (float32
                    // gradients), so its true zeros come back as ±noise and y > 0 would switch about half of them on
                    // (measured: Conv-BN-ReLU-Conv fixture, conv1 residual 0.1 and 1–3 dB). A ReLU output is never
                    // negative, so the most negative value measures that noise: values within ReluNoiseFactor times it
                    // count as 0. The FC division reproduces exact zeros (no negatives, floor 0); a fixed relative floor
                    // zeroed true small activations there (16 dB on one residual-fixture image).
                    var floor = a.Activation.Kind == RConvActivationKind.Relu ? ReluNoiseFactor * Math.Max(0, -v.Min()) : 0;
                    for (var j = 0; j < d.Length; j++) d[j] = g[j] * a.Activation.DerivativeFromOutput(v[j] > floor || v[j] < -floor ? v[j] : 0);
                    AddGrad(x0, d);
                    if (a.Activation.IsInvertible) SetValue(x0, v.Select(a.Activation.Inverse).ToArray());
                    break;
                }
                case AffineStage f:
                {
                    // y = s·x + t: ∂ℓ/∂x = s·∂ℓ/∂y, x = (y − t)/s
                    var d = new double[g.Length];
                    for (var j = 0; j < d.Length; j++) d[j] = g[j] * f.Scale[j];
                    AddGrad(x0, d);
                    if (v is not null && f.Invertible)
                    {
                        var xv = new double[v.Length];
                        for (var j = 0; j < xv.Length; j++) xv[j] = (v[j] - f.Shift[j]) / f.Scale[j];
                        SetValue(x0, xv);
                    }
                    break;
                }
                case AddStage:
                    AddGrad(st.Inputs[0], (double[])g.Clone());
                    AddGrad(st.Inputs[1], (double[])g.Clone());
                    break;
                case ConcatStage cc:
                {
                    var off = 0;
                    for (var k = 0; k < cc.Inputs.Length; k++)
                    {
                        AddGrad(cc.Inputs[k], g[off..(off + cc.Sizes[k])]);
                        if (v is not null) SetValue(cc.Inputs[k], v[off..(off + cc.Sizes[k])]);
                        off += cc.Sizes[k];
                    }
                    break;
                }
                case ConvStage c:
                {
                    LastOutputGradients[c.NodeName] = (double[])g.Clone();
                    AddGrad(x0, ConvConstraints.InputGradient(c.Geometry, g, W(c.Geometry.WeightName)));
                    if (values.ContainsKey(x0)) break; // another reader already recovered the input
                    var r = SolveConv(c.Geometry, gradients, g, v, steps, out var fail);
                    if (r is null) cause = (c.NodeName, fail!);
                    else SetValue(x0, r);
                    break;
                }
                default:
                    cause ??= (st.NodeName, $"operator {st.OpType} is not supported by the reconstruction");
                    poisoned.Add(x0);
                    break;
            }
        }
        if (!values.TryGetValue(_net.InputName, out var image))
        {
            var (layer, reason) = cause ?? consequence ?? (_net.InputName, "no reader of the input recovered it");
            return Fail(layer, reason);
        }
        var img = image.Select(v => (float)v).ToArray();
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
                $"{gradientProblem}, and the stacked forward + gradient system ({js.Rows} rows, {unknowns} unknowns) leaves a forward residual of {NumberText.G3(js.ForwardResidual)}: the constraints are inconsistent or rank-deficient here");
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
