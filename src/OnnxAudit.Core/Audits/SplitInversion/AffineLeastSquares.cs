using OnnxAudit.Autodiff;
using OnnxAudit.Onnx;
using OnnxAudit.Progress;
using OnnxAudit.Runtime;

namespace OnnxAudit.Audits.SplitInversion;

/// <summary>Outcome of the exact least-squares inversion of an affine split point.</summary>
/// <param name="Images">Reconstructions, B×C×H×W, clamped to [0,1].</param>
/// <param name="Iterations">Conjugate-gradient iterations run (the most any image needed).</param>
/// <param name="RelativeResidual">Largest ‖Aᵀ(t − f1(x))‖ / ‖Aᵀ(t − f1(x_start))‖ over the batch at the end.</param>
internal sealed record LeastSquaresRun(float[] Images, int Iterations, double RelativeResidual);

/// <summary>
/// White-box inversion of a split point that is an affine function of the input, f1(x) = A·x + b (no nonlinearity
/// before it, see <see cref="AffinePrefix"/>): x* = argmin_x ‖f1(x) − t‖², solved exactly by conjugate gradients on the
/// normal equations AᵀA·x = Aᵀ(t − b). A is never formed: one gradient session of the squared-error loss gives
/// c·Aᵀ(f1(x) − t) for any x and t, so AᵀA·p = ∇(p; target b)/c with b = f1(0), and the constant c cancels.
/// Every image of the batch runs its own CG recursion (per-image dot products) on one shared session. Dispose it.
/// Not thread-safe.
/// </summary>
internal sealed class AffineLeastSquares : IDisposable
{
    /// <summary>Default iteration cap.</summary>
    public const int DefaultMaxIterations = 400;

    /// <summary>Default stopping tolerance on the relative normal-equation residual.</summary>
    public const double DefaultTolerance = 1e-6;

    private readonly GradientSession _session;
    private readonly string _tensor;
    private readonly int _batch, _size;
    private readonly long[] _dims;

    /// <summary>Builds the session for <paramref name="batch"/> images of C×H×W.</summary>
    public AffineLeastSquares(OnnxModel model, string tensor, int batch, (int C, int H, int W) imageShape, RuntimeOptions? runtime = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentOutOfRangeException.ThrowIfLessThan(batch, 1);
        var input = ModelEditor.DataInputInfo(model) ?? throw new InvalidOperationException($"{model.Origin}: the model has no data input");
        var rank = input.Type?.TensorType?.Shape?.Dim.Count ?? 4;
        _batch = batch;
        _size = imageShape.C * imageShape.H * imageShape.W;
        _dims = rank switch
        {
            2 => [batch, _size],
            3 => [batch, imageShape.H, imageShape.W],
            _ => [batch, imageShape.C, imageShape.H, imageShape.W],
        };
        _tensor = tensor;
        _session = GradientSessions.Create(model, new GradientRequest(new SquaredErrorLoss(tensor), [input.Name], ExtraOutputs: [tensor]), runtime);
    }

    /// <summary>Solves for the batch whose split-tensor values are <paramref name="target"/> (B × elements, row-major),
    /// starting from mid-gray.</summary>
    public LeastSquaresRun Run(ReadOnlySpan<float> target, IProgressStage? stage = null, int maxIterations = DefaultMaxIterations,
        double tolerance = DefaultTolerance)
    {
        var n = _batch * _size;
        var t = target.ToArray();
        var zeros = new float[n];
        // b = f1(0): the affine offset, used as the target of the operator AᵀA·p.
        var b = _session.Run(zeros, _dims, target: t).Output(_tensor).ToArray();
        var x = new double[n];
        Array.Fill(x, WhiteBoxAttack.StartValue);
        var r = Residual(x, t);
        var p = (double[])r.Clone();
        var rs = Dots(r, r);
        var rs0 = (double[])rs.Clone();
        var done = new bool[_batch];
        var ap = new double[n];
        var it = 0;
        var report = Math.Max(1, maxIterations / 100);
        for (; it < maxIterations; it++)
        {
            for (var i = 0; i < _batch; i++) done[i] = done[i] || rs[i] <= tolerance * tolerance * rs0[i] || rs0[i] == 0;
            if (done.All(d => d)) break;
            Apply(p, b, ap);
            var pap = Dots(p, ap);
            for (var i = 0; i < _batch; i++)
            {
                if (done[i] || !(pap[i] > 0)) { done[i] = true; continue; }
                var alpha = rs[i] / pap[i];
                var o = i * _size;
                for (var k = o; k < o + _size; k++)
                {
                    x[k] += alpha * p[k];
                    r[k] -= alpha * ap[k];
                }
            }
            // why: r is updated recursively in float32 operator products; recompute it exactly every 50 steps so that
            // rounding does not stall the solve (CG restart from the true residual).
            var restart = (it + 1) % 50 == 0;
            if (restart) r = Residual(x, t);
            var rsNew = Dots(r, r);
            for (var i = 0; i < _batch; i++)
            {
                if (done[i]) continue;
                var beta = restart ? 0 : rsNew[i] / rs[i];
                var o = i * _size;
                for (var k = o; k < o + _size; k++) p[k] = r[k] + beta * p[k];
                rs[i] = rsNew[i];
            }
            if (stage is not null && (it + 1) % report == 0) stage.Advance(report);
        }
        var final = Dots(Residual(x, t), null);
        var rel = 0.0;
        for (var i = 0; i < _batch; i++) rel = Math.Max(rel, rs0[i] == 0 ? 0 : Math.Sqrt(final[i] / rs0[i]));
        var images = new float[n];
        for (var k = 0; k < n; k++) images[k] = (float)Math.Clamp(x[k], 0, 1);
        return new LeastSquaresRun(images, it, rel);
    }

    // r = −∇(x; t)/c = Aᵀ(t − f1(x)) (up to the common constant c).
    private double[] Residual(double[] x, float[] t)
    {
        var xf = new float[x.Length];
        for (var k = 0; k < x.Length; k++) xf[k] = (float)x[k];
        var g = _session.Run(xf, _dims, target: t).Gradient(_session.InputName);
        var r = new double[x.Length];
        for (var k = 0; k < r.Length; k++) r[k] = -g[k];
        return r;
    }

    // ap = AᵀA·p (up to c), evaluated per image at a scale where p's largest entry is 1 so that f1(s·p) − b is not lost
    // to rounding against b.
    private void Apply(double[] p, float[] b, double[] ap)
    {
        var scale = new double[_batch];
        var pf = new float[p.Length];
        for (var i = 0; i < _batch; i++)
        {
            var o = i * _size;
            double max = 0;
            for (var k = o; k < o + _size; k++) max = Math.Max(max, Math.Abs(p[k]));
            scale[i] = max > 0 ? 1 / max : 1;
            for (var k = o; k < o + _size; k++) pf[k] = (float)(p[k] * scale[i]);
        }
        var g = _session.Run(pf, _dims, target: b).Gradient(_session.InputName);
        for (var i = 0; i < _batch; i++)
        {
            var o = i * _size;
            for (var k = o; k < o + _size; k++) ap[k] = g[k] / scale[i];
        }
    }

    private double[] Dots(double[] a, double[]? bOrSelf)
    {
        var c = bOrSelf ?? a;
        var d = new double[_batch];
        for (var i = 0; i < _batch; i++)
        {
            var o = i * _size;
            double s = 0;
            for (var k = o; k < o + _size; k++) s += a[k] * c[k];
            d[i] = s;
        }
        return d;
    }

    /// <inheritdoc />
    public void Dispose() => _session.Dispose();
}
