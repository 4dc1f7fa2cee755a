using System.Diagnostics;
using OnnxAudit.Autodiff;
using OnnxAudit.Onnx;
using OnnxAudit.Runtime;

namespace OnnxAudit.Audits.Federated;

/// <summary>
/// The two optimisation attacks of the exclusivity paper's baselines (seeds/001 Table 2) on any differentiable
/// classifier: Inverting Gradients (cosine + TV, signed Adam) and DLG (squared L2, L-BFGS). Both minimise a distance
/// between the dummy batch's parameter gradient and the observed one, with the exact gradient w.r.t. the dummy pixels
/// from a second-order ONNX graph (<see cref="GradientMatchingSession"/>). One session per attack, reused across batches
/// (any batch size). Dispose it. Not thread-safe.
/// </summary>
public sealed class GradientInversion : IDisposable
{
    private readonly GradientMatchingSession? _cosine;
    private readonly GradientMatchingSession? _l2;
    private readonly long[] _sampleDims;
    private readonly Dictionary<int, AdamStepSession> _invertingSteps = [];

    /// <summary>Builds the sessions. <paramref name="inverting"/> or <paramref name="dlg"/> null = that attack is not built.</summary>
    public GradientInversion(OnnxModel model, InvertingOptions? inverting, DlgOptions? dlg, RuntimeOptions? runtime = null, IReadOnlyList<string>? parameters = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        Parameters = parameters ?? FederatedGradient.TrainableParameters(model);
        var vi = model.Graph.Input.First(v => model.FindInitializer(v.Name) is null);
        _sampleDims = vi.Type.TensorType.Shape.Dim.Skip(1).Select(d => d.DimValue).ToArray();
        Inverting = inverting;
        Dlg = dlg;
        try
        {
            if (inverting is not null) _cosine = GradientMatchingSessions.Create(model, new GradientMatchingRequest(GradientDistance.Cosine, Parameters, inverting.TvWeight), runtime);
            if (dlg is not null) _l2 = GradientMatchingSessions.Create(model, new GradientMatchingRequest(GradientDistance.SquaredL2, Parameters), runtime);
        }
        catch
        {
            _cosine?.Dispose();
            throw;
        }
    }

    /// <summary>The matched parameters, in the order <see cref="RunInverting"/> and <see cref="RunDlg"/> expect the observed gradients.</summary>
    public IReadOnlyList<string> Parameters { get; }

    /// <summary>Inverting options (null = not built).</summary>
    public InvertingOptions? Inverting { get; private set; }

    /// <summary>DLG options (null = not built).</summary>
    public DlgOptions? Dlg { get; private set; }

    /// <summary>Replaces the budgets of the built attacks (e.g. iterations planned from a time budget); an attack that was not
    /// built stays off.</summary>
    public void SetBudgets(InvertingOptions? inverting, DlgOptions? dlg)
    {
        if (_cosine is not null && inverting is not null) Inverting = inverting with { TvWeight = Inverting!.TvWeight };
        if (_l2 is not null && dlg is not null) Dlg = dlg;
    }


    /// <summary>Shape of one sample (C, H, W).</summary>
    public IReadOnlyList<long> SampleDims => _sampleDims;

    private int PerSample => (int)_sampleDims.Aggregate(1L, (a, b) => a * b);

    /// <summary>Inverting Gradients on one observed gradient (one array per <see cref="Parameters"/> entry) with the given labels.</summary>
    public Reconstruction RunInverting(IReadOnlyList<float[]> observed, long[] labels)
    {
        var o = Inverting ?? throw new InvalidOperationException("the Inverting attack was not built (options were null)");
        var session = _cosine!;
        session.SetTargets(observed);
        var sw = Stopwatch.StartNew();
        var m = labels.Length;
        var n = m * PerSample;
        var grad = new float[n];
        float[]? best = null;
        var bestLoss = double.PositiveInfinity;
        var evals = 0;
        var milestones = new[] { o.Iterations * 3 / 8, o.Iterations * 5 / 8, o.Iterations * 7 / 8 };
        float[] Start(int restart)
        {
            var rng = new Random(StartSeed(o.Seed, restart, 7919));
            var x = new float[n];
            for (var i = 0; i < n; i++) x[i] = (float)rng.NextDouble();
            return x;
        }
        // issue 16 item 5: on CUDA the signed Adam steps inside the graph (InvertingInGraph), nothing per iteration leaves the device
        if (session.Options.OptimizerInGraph && o.Iterations > 0 && o.Restarts > 0)
        {
            var (b, l, e) = InvertingInGraph.Run(session, _invertingSteps, o, labels, _sampleDims, Start);
            return new Reconstruction(b, labels, l, e, sw.Elapsed.TotalSeconds);
        }
        for (var r = 0; r < o.Restarts; r++)
        {
            var x = Start(r);
            var adam = new SignedAdam(n);
            for (var it = 0; it < o.Iterations; it++)
            {
                // why: Geiping et al.'s MultiStepLR(milestones = 3/8, 5/8, 7/8 of max_iterations, gamma 0.1).
                var lr = o.LearningRate * Math.Pow(0.1, milestones.Count(ms => it >= ms));
                session.Run(x, m, labels, grad);
                evals++;
                adam.Step(x, grad, (float)lr);
                // why: the "boxed" constraint of inversefed: clamp to the valid pixel range after every step.
                for (var i = 0; i < n; i++) x[i] = Math.Clamp(x[i], 0f, 1f);
            }
            var final = session.Run(x, m, labels, grad);
            evals++;
            if (double.IsFinite(final) && final < bestLoss) { bestLoss = final; best = x; }
            best ??= x;
        }
        return new Reconstruction(best!, labels, bestLoss, evals, sw.Elapsed.TotalSeconds);
    }

    /// <summary>DLG on one observed gradient with the given labels.</summary>
    public Reconstruction RunDlg(IReadOnlyList<float[]> observed, long[] labels)
    {
        var o = Dlg ?? throw new InvalidOperationException("the DLG attack was not built (options were null)");
        var session = _l2!;
        session.SetTargets(observed);
        var sw = Stopwatch.StartNew();
        var m = labels.Length;
        var n = m * PerSample;
        float[]? best = null;
        var bestLoss = double.PositiveInfinity;
        var evals = 0;
        for (var r = 0; r < o.Restarts; r++)
        {
            var rng = new Random(StartSeed(o.Seed, r, 104729));
            var x = new float[n];
            for (var i = 0; i < n; i++) x[i] = (float)rng.NextDouble();
            var bestHere = double.PositiveInfinity;
            var bestX = (float[])x.Clone();
            Lbfgs.Minimize((p, g) =>
            {
                evals++;
                double v = session.Run(p, m, labels, g);
                if (double.IsFinite(v) && v < bestHere) { bestHere = v; Array.Copy(p, bestX, n); }
                return v;
            }, x, o.Evaluations);
            if (bestHere < bestLoss) { bestLoss = bestHere; best = bestX; }
            best ??= bestX;
        }
        for (var i = 0; i < n; i++) best![i] = float.IsFinite(best[i]) ? Math.Clamp(best[i], 0f, 1f) : 0.5f;
        return new Reconstruction(best!, labels, bestLoss, evals, sw.Elapsed.TotalSeconds);
    }

    /// <summary>The seed of restart <paramref name="restart"/>'s random start (deterministic across processes, unlike HashCode).</summary>
    internal static int StartSeed(int seed, int restart, int stream) => unchecked((seed * 1_000_003) + (restart * 7_919) + stream);

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var s in _invertingSteps.Values) s.Dispose();
        _cosine?.Dispose();
        _l2?.Dispose();
    }

    /// <summary>Adam (PyTorch 1.13 update, float state) on the sign of the gradient with a per-step learning rate.</summary>
    private sealed class SignedAdam(int n)
    {
        private readonly float[] _m = new float[n];
        private readonly float[] _v = new float[n];
        private int _t;

        public void Step(float[] x, float[] grad, float lr)
        {
            _t++;
            var step = (float)(lr / (1 - Math.Pow(0.9, _t)));
            var bc2 = (float)Math.Sqrt(1 - Math.Pow(0.999, _t));
            for (var i = 0; i < x.Length; i++)
            {
                // why: Geiping et al. §4: "signed gradients" — Adam is fed sign(∇x), which made optimisation more robust.
                var g = MathF.Sign(grad[i]);
                _m[i] = 0.9f * _m[i] + 0.1f * g;
                _v[i] = 0.999f * _v[i] + 0.001f * g * g;
                x[i] -= step * _m[i] / (MathF.Sqrt(_v[i]) / bc2 + 1e-8f);
            }
        }
    }
}
