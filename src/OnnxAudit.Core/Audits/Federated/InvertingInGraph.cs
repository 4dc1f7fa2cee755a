using OnnxAudit.Runtime;

namespace OnnxAudit.Audits.Federated;

/// <summary>
/// The Inverting Gradients loop of <see cref="GradientInversion.RunInverting"/> with its signed Adam, the MultiStepLR
/// learning rates and the box clamp inside the second-order graph (<see cref="AdamStepSession"/>, the CUDA path): the
/// dummy batch and its moments stay in device memory for the whole restart; the final loss is an evaluation without a
/// step and the dummy batch comes back once per restart. The same float operations as the host loop's SignedAdam (its
/// constants 0.1f and 0.001f, lr rounded to float), so on the CPU the same reconstructions bit for bit (tested).
/// One step session per batch size, kept by the owner; dispose them.
/// </summary>
internal static class InvertingInGraph
{
    /// <summary>The step for the host loop's SignedAdam: β 0.9 / 0.999, ε 1e-8, sign(g), clamp to [0, 1].</summary>
    public static AdamStep Step(double learningRate) =>
        new(learningRate, Clamp01: true, SignGradient: true, OneMinusBeta1: 0.1f, OneMinusBeta2: 0.001f);

    /// <summary>Runs the restarts; returns the best final loss's dummy batch, that loss and the evaluations made.</summary>
    public static (float[] Best, double BestLoss, int Evaluations) Run(GradientMatchingSession session, Dictionary<int, AdamStepSession> steps,
        InvertingOptions o, long[] labels, IReadOnlyList<long> sampleDims, Func<int, float[]> start)
    {
        var m = labels.Length;
        long[] dims = [m, .. sampleDims];
        if (!steps.TryGetValue(m, out var s))
        {
            s = new AdamStepSession(session.MatchingModel, session.StepBindings(), [session.InputName], Step(o.LearningRate), session.Options, dims);
            steps[m] = s;
        }
        var milestones = new[] { o.Iterations * 3 / 8, o.Iterations * 5 / 8, o.Iterations * 7 / 8 };
        // why: the host loop passes lr to SignedAdam as a float, which divides it by (1 − 0.9ᵗ) in double.
        var rates = Enumerable.Range(0, o.Iterations).Select(it => (double)(float)(o.LearningRate * Math.Pow(0.1, milestones.Count(ms => it >= ms)))).ToArray();
        var targets = session.TargetsByInput();
        float[]? best = null;
        var bestLoss = double.PositiveInfinity;
        var evals = 0;
        for (var r = 0; r < o.Restarts; r++)
        {
            var x = start(r);
            s.Begin(new Dictionary<string, float[]>(StringComparer.Ordinal) { [session.InputName] = x }, o.Iterations, fed: targets, learningRates: rates);
            s.SetData(dims, default, labels: labels);
            for (var it = 0; it < o.Iterations; it++) s.Step(it == o.Iterations - 1 ? StepRead.All : StepRead.None);
            evals += o.Iterations;
            double final = s.Evaluate();
            evals++;
            var xr = s.Values(session.InputName).ToArray();
            if (double.IsFinite(final) && final < bestLoss) { bestLoss = final; best = xr; }
            best ??= xr;
        }
        return (best!, bestLoss, evals);
    }
}
