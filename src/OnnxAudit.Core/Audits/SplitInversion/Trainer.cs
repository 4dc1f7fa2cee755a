using OnnxAudit.Common;
using System.Globalization;
using OnnxAudit.Progress;
using OnnxAudit.Runtime;

namespace OnnxAudit.Audits.SplitInversion;

/// <summary>One mini-batch for <see cref="Trainer.Train"/>.</summary>
internal readonly record struct TrainingBatch(float[] Input, long[] Dims, long[]? Labels, float[]? Target);

/// <summary>The stated budget of one training run: at most <paramref name="MaxSteps"/> Adam steps; every
/// <paramref name="EvalEvery"/> steps the held-out loss is measured, and training stops once it has not improved by
/// more than <paramref name="MinRelativeImprovement"/> (relative to the best so far) for <paramref name="Patience"/>
/// evaluations in a row. The parameters of the best held-out evaluation are kept.</summary>
public sealed record TrainingBudget(int MaxSteps, int EvalEvery, int Patience, double MinRelativeImprovement)
{
    /// <summary>One line, e.g. "≤ 300 steps, early stop: held-out loss every 20 steps, patience 3, min. improvement 1 %".</summary>
    public string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"≤ {MaxSteps} steps, early stop on the held-out loss (checked every {EvalEvery} steps, stop after {Patience} checks without a {NumberText.G3(MinRelativeImprovement * 100)} % improvement)");
}

/// <summary>What one training run did: steps taken against the budget, why it stopped, and its losses.</summary>
/// <param name="Steps">Adam steps taken.</param>
/// <param name="Budget">The budget it ran under.</param>
/// <param name="StoppedEarly">True when the held-out loss stopped improving before <see cref="TrainingBudget.MaxSteps"/>.</param>
/// <param name="FirstLoss">Mean training loss of the first 10 % of steps.</param>
/// <param name="LastLoss">Mean training loss of the last 10 % of steps.</param>
/// <param name="HeldOutImages">Images held out for the stop rule (0 = none: the whole budget is used).</param>
/// <param name="BestHeldOutLoss">Best held-out loss (NaN without held-out images).</param>
/// <param name="BestStep">Step whose parameters are kept (the best held-out evaluation; the last step without held-out images).</param>
public sealed record TrainingSummary(int Steps, TrainingBudget Budget, bool StoppedEarly, double FirstLoss, double LastLoss,
    int HeldOutImages, double BestHeldOutLoss, int BestStep)
{
    /// <summary>Short form for the verdict cell, e.g. "140/300 steps, held-out plateau".</summary>
    public string Short() => string.Create(CultureInfo.InvariantCulture,
        $"{Steps}/{Budget.MaxSteps} steps{(StoppedEarly ? ", held-out plateau" : "")}");

    /// <summary>One line for the settings column and the verdict, e.g. "140/300 steps (held-out plateau; best at 100)".</summary>
    public string Describe() => HeldOutImages == 0
        ? string.Create(CultureInfo.InvariantCulture, $"{Steps}/{Budget.MaxSteps} steps (no held-out images: full budget)")
        : string.Create(CultureInfo.InvariantCulture,
            $"{Steps}/{Budget.MaxSteps} steps ({(StoppedEarly ? "stopped: held-out loss plateaued" : "budget used")}; kept step {BestStep}, held-out loss {NumberText.G3(BestHeldOutLoss)} on {HeldOutImages} images)");
}

/// <summary>Mini-batch Adam training of the parameters a <see cref="GradientSession"/> takes as inputs
/// (built with <c>ParametersAsInputs</c>), with early stopping on a held-out loss. Stateless.</summary>
internal static class Trainer
{
    /// <summary>Trains <paramref name="parameters"/> (updated in place; on return they hold the best held-out
    /// evaluation's values) under <paramref name="budget"/>. <paramref name="heldOut"/> are batches of images the
    /// training batches never contain; empty = no early stopping (every step of the budget is taken).</summary>
    public static TrainingSummary Train(GradientSession session, Dictionary<string, float[]> parameters,
        Func<int, TrainingBatch> batch, IReadOnlyList<TrainingBatch> heldOut, TrainingBudget budget, double learningRate, IProgressStage? stage = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(budget.MaxSteps, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(budget.EvalEvery, 1);
        if (session.Options.OptimizerInGraph) return TrainInGraph(session, parameters, batch, heldOut, budget, learningRate, stage);
        var names = parameters.Keys.ToList();
        var adams = names.ToDictionary(n => n, n => new Adam(parameters[n].Length, learningRate), StringComparer.Ordinal);
        var steps = budget.MaxSteps;
        var window = Math.Max(1, Math.Min(steps, budget.EvalEvery) / 2);
        var recent = new Queue<double>();
        double first = 0;
        var firstCount = 0;
        var report = Math.Max(1, steps / 100);
        var heldOutImages = heldOut.Sum(b => (int)b.Dims[0]);
        var stop = new HeldOutStop(budget, names, parameters);
        var taken = 0;
        var stopped = false;
        for (var s = 0; s < steps; s++)
        {
            var b = batch(s);
            var run = session.Run(b.Input, b.Dims, b.Labels ?? default, b.Target ?? default, parameters);
            if (firstCount < window) { first += run.Loss; firstCount++; }
            recent.Enqueue(run.Loss);
            if (recent.Count > window) recent.Dequeue();
            foreach (var n in names) adams[n].Step(parameters[n], run.Gradient(n));
            taken = s + 1;
            if (stage is not null && taken % report == 0) stage.Advance(report);
            if (heldOutImages == 0 || (taken % budget.EvalEvery != 0 && taken != steps)) continue;
            if (stop.Observe(HeldOutLoss(session, heldOut, parameters), taken, (n, into) => parameters[n].CopyTo(into, 0)))
            {
                stopped = taken < steps;
                break;
            }
        }
        if (stop.BestValues is { } bestValues)
            foreach (var n in names) bestValues[n].CopyTo(parameters[n], 0);
        return new TrainingSummary(taken, budget, stopped, firstCount > 0 ? first / firstCount : double.NaN,
            recent.Count > 0 ? recent.Average() : double.NaN, heldOutImages, heldOutImages > 0 ? stop.Best : double.NaN, heldOutImages == 0 ? taken : stop.BestStep);
    }

    /// <summary>
    /// <see cref="Train"/> with Adam inside the graph (<see cref="AdamStepSession"/>, the CUDA path): the parameters and
    /// their moments stay in device memory; per step only the batch goes up. The parameters come back to the host at the
    /// held-out checks (every <see cref="TrainingBudget.EvalEvery"/> steps, for the best-parameter copy; the held-out
    /// losses are evaluations without a step) and at the end; the losses of the first and the last window come back as
    /// scalars. Same steps and stop as <see cref="Train"/>'s host loop (on the CPU the same parameters bit for bit, tested);
    /// the window losses are differences of the graph's running double sum, so they may differ from the host loop's in
    /// the last bits.
    /// </summary>
    internal static TrainingSummary TrainInGraph(GradientSession session, Dictionary<string, float[]> parameters,
        Func<int, TrainingBatch> batch, IReadOnlyList<TrainingBatch> heldOut, TrainingBudget budget, double learningRate, IProgressStage? stage = null)
    {
        var names = parameters.Keys.ToList();
        using var s = new AdamStepSession(session.GradientModel, session.Bindings, names, new AdamStep(learningRate), session.Options);
        var steps = budget.MaxSteps;
        s.Begin(parameters, steps);
        var window = Math.Max(1, Math.Min(steps, budget.EvalEvery) / 2);
        var report = Math.Max(1, steps / 100);
        var heldOutImages = heldOut.Sum(b => (int)b.Dims[0]);
        bool Check(int taken) => heldOutImages > 0 && (taken % budget.EvalEvery == 0 || taken == steps);
        bool Candidate(int taken) => Check(taken) || taken == steps;
        // the running loss sum is read where a window starts or ends: after step `window` (the first window) and
        // `window` steps before and at every step where training may stop
        var sums = new Dictionary<int, double> { [0] = 0 };
        bool NeedsSum(int taken) => taken == window || Candidate(taken) || (taken + window <= steps && Candidate(taken + window));
        var stop = new HeldOutStop(budget, names, parameters);
        var taken = 0;
        var stopped = false;
        for (var step = 0; step < steps; step++)
        {
            var b = batch(step);
            s.SetData(b.Dims, b.Input, b.Labels ?? default, b.Target ?? default);
            taken = step + 1;
            var candidate = Candidate(taken);
            s.Step(candidate ? StepRead.All : NeedsSum(taken) ? StepRead.Loss : StepRead.None);
            if (NeedsSum(taken)) sums[taken] = s.LossSum;
            if (stage is not null && taken % report == 0) stage.Advance(report);
            if (!Check(taken)) continue;
            double sum = 0;
            long count = 0;
            foreach (var h in heldOut)
            {
                s.SetData(h.Dims, h.Input, h.Labels ?? default, h.Target ?? default);
                sum += s.Evaluate() * h.Dims[0];
                count += h.Dims[0];
            }
            if (stop.Observe(sum / count, taken, (n, into) => s.Values(n).CopyTo(into)))
            {
                stopped = taken < steps;
                break;
            }
        }
        if (stop.BestValues is { } bestValues)
            foreach (var n in names) bestValues[n].CopyTo(parameters[n], 0);
        else
            foreach (var n in names) s.Values(n).CopyTo(parameters[n]);
        var best = stop.Best;
        var bestStep = heldOutImages == 0 ? taken : stop.BestStep;
        var firstCount = Math.Min(window, taken);
        var lastCount = Math.Min(window, taken);
        return new TrainingSummary(taken, budget, stopped, sums[firstCount] / firstCount,
            (sums[taken] - sums[taken - lastCount]) / lastCount, heldOutImages, heldOutImages > 0 ? best : double.NaN, bestStep);
    }

    /// <summary>The image-weighted mean loss over <paramref name="heldOut"/> at the current parameters (gradients are
    /// computed by the session but not used; no parameter changes).</summary>
    internal static double HeldOutLoss(GradientSession session, IReadOnlyList<TrainingBatch> heldOut, Dictionary<string, float[]> parameters)
    {
        double sum = 0;
        long count = 0;
        foreach (var b in heldOut)
        {
            var run = session.Run(b.Input, b.Dims, b.Labels ?? default, b.Target ?? default, parameters);
            sum += run.Loss * b.Dims[0];
            count += b.Dims[0];
        }
        return sum / count;
    }
}

/// <summary>Early stopping on the held-out loss, shared by <see cref="Trainer"/>'s host and in-graph loops: keeps the best
/// loss, its step and a copy of the parameters there, and says when the patience of the budget is used up.</summary>
internal sealed class HeldOutStop(TrainingBudget budget, IReadOnlyList<string> names, IReadOnlyDictionary<string, float[]> shapes)
{
    private double reference = double.PositiveInfinity;
    private int sinceImprovement;

    /// <summary>The lowest held-out loss seen (+∞ before the first check).</summary>
    public double Best { get; private set; } = double.PositiveInfinity;

    /// <summary>The step of <see cref="Best"/>.</summary>
    public int BestStep { get; private set; }

    /// <summary>The parameters at <see cref="Best"/> (null before the first check).</summary>
    public Dictionary<string, float[]>? BestValues { get; private set; }

    /// <summary>Records the held-out <paramref name="loss"/> after <paramref name="taken"/> steps; <paramref name="copy"/>
    /// writes a parameter's current values into the given array when this is the best loss so far. True = stop.</summary>
    public bool Observe(double loss, int taken, Action<string, float[]> copy)
    {
        if (loss < Best)
        {
            Best = loss;
            BestStep = taken;
            BestValues ??= names.ToDictionary(n => n, n => new float[shapes[n].Length], StringComparer.Ordinal);
            foreach (var n in names) copy(n, BestValues[n]);
        }
        // why: the patience counter resets only on an improvement by more than the stated relative margin, so a loss
        // creeping down by noise-sized amounts does not keep a plateaued training running.
        if (loss < reference * (1 - budget.MinRelativeImprovement) || double.IsPositiveInfinity(reference))
        {
            reference = loss;
            sinceImprovement = 0;
            return false;
        }
        return ++sinceImprovement >= budget.Patience;
    }
}
