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
    private readonly Dictionary<string, ForwardSystem> _forward = [];

    public RConvReconstructor(RConvNetwork net, RConvOptions options)
    {
        _net = net;
        _options = options;
    }

    /// <summary>∂ℓ/∂O of each conv layer as computed on the last reconstruction (for the rank check).</summary>
    public Dictionary<string, double[]> LastOutputGradients { get; } = [];

    /// <summary>Seconds spent building once-per-model forward factorisations so far.</summary>
    public double SetupSeconds { get; private set; }

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

    private double[]? SolveConv(ConvGeometry g, IReadOnlyDictionary<string, float[]> gradients, double[] dO, double[]? o,
        List<RConvLayerStep> steps, out string? failure)
    {
        failure = null;
        var sw = Stopwatch.StartNew();
        var hw = g.InH * g.InW;
        var rows = g.FiltersPerGroup * g.KernelH * g.KernelW;
        string? gradientProblem = null;
        if (rows >= hw && _options.PreferGradientConstraints)
        {
            var dW = Grad(gradients, g.WeightName, g.OutChannels * g.ChannelsPerGroup * g.KernelH * g.KernelW);
            var x = new double[g.InChannels * hw];
            double res2 = 0, rhs2 = 0;
            for (var grp = 0; grp < g.Groups && gradientProblem is null; grp++)
            {
                var a = ConvConstraints.GradientMatrix(g, dO, grp);
                var b = ConvConstraints.GradientRhs(g, dW, grp);
                var qr = a.QR(MathNet.Numerics.LinearAlgebra.Factorization.QRMethod.Thin);
                // why: QR's R diagonal flags rank deficiency (e.g. filters silenced by ReLU leave rows of zeros); a
                // least-squares answer there is not the input, so fall back or report instead of returning noise.
                var rd = qr.R.Diagonal().Map(Math.Abs);
                if (rd.Minimum() <= _options.RankTolerance * rd.Maximum())
                {
                    gradientProblem = string.Create(CultureInfo.InvariantCulture,
                        $"its gradient system ({rows} rows, {hw} unknowns per channel) is numerically rank-deficient on this sample");
                    break;
                }
                var sol = qr.Solve(b);
                var resid = (a * sol) - b;
                res2 += resid.FrobeniusNorm() * resid.FrobeniusNorm();
                rhs2 += b.FrobeniusNorm() * b.FrobeniusNorm();
                for (var cl = 0; cl < g.ChannelsPerGroup; cl++)
                    for (var p = 0; p < hw; p++)
                        x[((grp * g.ChannelsPerGroup) + cl) * hw + p] = sol[p, cl];
            }
            if (gradientProblem is null)
            {
                steps.Add(new RConvLayerStep(g.Name, "Conv", RConvSolveMethod.GradientConstraints, rows, hw, rhs2 > 0 ? Math.Sqrt(res2 / rhs2) : 0, sw.Elapsed.TotalSeconds));
                return x;
            }
        }
        else if (rows < hw)
        {
            gradientProblem = string.Create(CultureInfo.InvariantCulture, $"gradient constraints are short (F·Kh·Kw = {rows} < H·W = {hw} per channel)");
        }

        // forward constraints
        var fwdRows = g.OutChannels * g.OutH * g.OutW;
        var unknowns = g.InChannels * hw;
        if (o is null)
        {
            failure = $"{gradientProblem ?? "gradient constraints not used"}, and the forward constraints W*X + b = O need O, which is unknown here (the activation above is not invertible, or there is no reconstructed layer above)";
            return null;
        }
        if (fwdRows < unknowns)
        {
            failure = string.Create(CultureInfo.InvariantCulture, $"{gradientProblem}, and the forward constraints are short too (F·Oh·Ow = {fwdRows} < N·H·W = {unknowns})");
            return null;
        }
        if (!_forward.TryGetValue(g.Name, out var fs))
        {
            var setup = Stopwatch.StartNew();
            fs = new ForwardSystem(g, W(g.WeightName), g.BiasName is null ? null : W(g.BiasName), _options.RankTolerance);
            _forward[g.Name] = fs;
            SetupSeconds += setup.Elapsed.TotalSeconds;
            sw.Restart();
        }
        if (!fs.FullRank)
        {
            failure = $"{gradientProblem}, and the forward system W*X + b = O is numerically rank-deficient for these weights";
            return null;
        }
        var (xf, res) = fs.Solve(o);
        steps.Add(new RConvLayerStep(g.Name, "Conv", RConvSolveMethod.ForwardConstraints, fwdRows, unknowns, res, sw.Elapsed.TotalSeconds));
        return xf;
    }
}
