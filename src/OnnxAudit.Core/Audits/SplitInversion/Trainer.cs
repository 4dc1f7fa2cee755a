using OnnxAudit.Progress;
using OnnxAudit.Runtime;

namespace OnnxAudit.Audits.SplitInversion;

/// <summary>One mini-batch for <see cref="Trainer.Train"/>.</summary>
internal readonly record struct TrainingBatch(float[] Input, long[] Dims, long[]? Labels, float[]? Target);

/// <summary>Mini-batch Adam training of the parameters a <see cref="GradientSession"/> takes as inputs
/// (built with <c>ParametersAsInputs</c>). Stateless.</summary>
internal static class Trainer
{
    /// <summary>Runs <paramref name="steps"/> plain Adam steps on
    /// <paramref name="parameters"/> (updated in place); returns the mean loss of the first and the last 10% of steps.</summary>
    public static (double First, double Last) Train(GradientSession session, Dictionary<string, float[]> parameters,
        Func<int, TrainingBatch> batch, int steps, double learningRate, IProgressStage? stage = null)
    {
        var names = parameters.Keys.ToList();
        var adams = names.ToDictionary(n => n, n => new Adam(parameters[n].Length, learningRate), StringComparer.Ordinal);
        var window = Math.Max(1, steps / 10);
        double first = 0, last = 0;
        var report = Math.Max(1, steps / 100);
        for (var s = 0; s < steps; s++)
        {
            var b = batch(s);
            var run = session.Run(b.Input, b.Dims, b.Labels ?? default, b.Target ?? default, parameters);
            if (s < window) first += run.Loss / window;
            if (s >= steps - window) last += run.Loss / window;
            foreach (var n in names) adams[n].Step(parameters[n], run.Gradient(n));
            if (stage is not null && (s + 1) % report == 0) stage.Advance(report);
        }
        return (first, last);
    }
}
