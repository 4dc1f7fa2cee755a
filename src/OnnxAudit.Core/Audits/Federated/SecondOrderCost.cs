using System.Globalization;
using OnnxAudit.Audits.SplitInversion;
using OnnxAudit.Common;
using OnnxAudit.Graph;

namespace OnnxAudit.Audits.Federated;

/// <summary>
/// Deterministic estimates of what one gradient-matching (second-order) evaluation at batch M costs, checked before the
/// Inverting and DLG sessions are built (<see cref="NotRunReason"/>):
/// <list type="bullet">
/// <item>memory: <see cref="ActivationFactor"/> × M × the float bytes of every batched tensor of one sample's forward pass
/// (the second-order graph keeps the forward's and the first backward's intermediates for the second backward) plus
/// <see cref="ParameterFactor"/> × the parameter bytes (weights, the first-order gradient, the targets, the gradient of
/// the distance w.r.t. the gradient);</item>
/// <item>time: <see cref="ForwardPasses"/> × M × the model's forward multiply-adds at <see cref="SplitBudgetPlanner.SecondsPerUnit"/>
/// plus <see cref="SecondsPerParameter"/> per parameter.</item>
/// </list>
/// An attack is not run when the estimate exceeds the memory limit (<see cref="MemoryBudget"/>), or when even its minimum
/// run (<see cref="InvertingOptions.MinimumIterations"/> + 1 evaluations, <see cref="DlgOptions.MinimumEvaluations"/>) would take
/// more than <see cref="MaxBudgetMultiple"/> × the federated budget.
/// </summary>
// why: issue 17: on vit_b_16@224 at M = 8 the first Inverting evaluation was killed by the kernel's OOM killer (14-19.5 GB);
// after the MatMul fix it fits in 7.8 GB but one evaluation takes 77 s, so the 10-iteration minimum would be ~14 min of a
// quick report planned for 45 s. An attack that cannot fit is skipped with its reason; the rest of the report still counts.
// Measured with bench second-order-memory at M = 8, load 5-8 (evaluation s / peak RSS): vit_b_16@224 77 s / 7.8 GB (M = 1:
// 8.9 s / 2.8 GB), resnet18@64 0.85 s / 0.87 GB, alexnet@64 2.25 s / 1.9 GB, convnext_tiny@64 3.15 s / 1.3 GB.
public static class SecondOrderCost
{
    /// <summary>Bytes per batched activation byte of one forward pass (vit_b_16: the M = 1 → 8 slope of the peak RSS is 2.9×).</summary>
    public const double ActivationFactor = 3;

    /// <summary>Bytes per parameter byte (vit_b_16: the M = 1 → 8 intercept is 6.2× its 343 MB of parameters).</summary>
    public const double ParameterFactor = 6;

    /// <summary>Forward-pass equivalents of one second-order evaluation (the fit of the measurements above with
    /// <see cref="SecondsPerParameter"/>: 5.2× on vit_b_16, 4.9× on resnet18@64).</summary>
    public const double ForwardPasses = 5;

    /// <summary>Seconds per parameter of one evaluation, whatever the batch (the element-wise work over the parameter
    /// gradients; alexnet@64, 57 M parameters and 0.1 G multiply-adds per image, takes 2.25 s).</summary>
    public const double SecondsPerParameter = 3.3e-8;

    /// <summary>An attack whose minimum run is estimated above this many times the federated budget is not run
    /// (the full run's budget is <see cref="FederatedAuditOptions.FullToQuick"/> × the quick one, the same factor).</summary>
    public const double MaxBudgetMultiple = FederatedAuditOptions.FullToQuick;

    /// <summary>Float bytes of all batched tensors (graph inputs and node outputs) of one sample's forward pass.</summary>
    public static long ActivationBytesPerSample(GraphAnalysis analysis)
    {
        ArgumentNullException.ThrowIfNull(analysis);
        return analysis.Tensors.Values.Where(t => t.IsBatched).Sum(t => t.ElementsPerSample) * sizeof(float);
    }

    /// <summary>The estimated bytes of one second-order session run at batch <paramref name="batch"/>.</summary>
    public static long MemoryBytes(GraphAnalysis analysis, int batch)
    {
        ArgumentNullException.ThrowIfNull(analysis);
        return (long)Math.Min(long.MaxValue, ActivationFactor * batch * ActivationBytesPerSample(analysis) + ParameterFactor * sizeof(float) * (double)analysis.ParameterCount);
    }

    /// <summary>The estimated seconds of one second-order evaluation at batch <paramref name="batch"/>.</summary>
    public static double EvaluationSeconds(GraphAnalysis analysis, int batch)
    {
        ArgumentNullException.ThrowIfNull(analysis);
        var forward = SplitBudgetPlanner.Forward(analysis, Enumerable.Range(0, analysis.Layers.Count));
        return ForwardPasses * batch * forward * SplitBudgetPlanner.SecondsPerUnit + SecondsPerParameter * analysis.ParameterCount;
    }

    /// <summary>Why an optimisation attack with <paramref name="minimumEvaluations"/> evaluations per batch at the least is not
    /// run under <paramref name="options"/> (the memory limit <paramref name="limitBytes"/>, the budget), or null when it runs.</summary>
    public static string? NotRunReason(GraphAnalysis analysis, FederatedAuditOptions options, int minimumEvaluations, long limitBytes)
    {
        ArgumentNullException.ThrowIfNull(analysis);
        ArgumentNullException.ThrowIfNull(options);
        var ic = CultureInfo.InvariantCulture;
        var m = options.BatchSize;
        var need = MemoryBytes(analysis, m);
        if (need > limitBytes)
            return string.Create(ic,
                $"not run: its second-order graph at batch M = {m} would need an estimated {MemoryBudget.Format(need)} ({NumberText.G(ActivationFactor, 2)} × M × {MemoryBudget.Format(ActivationBytesPerSample(analysis))} of activations per sample + {NumberText.G(ParameterFactor, 2)} × {MemoryBudget.Format(analysis.ParameterCount * sizeof(float))} of parameters), above the memory limit of {MemoryBudget.Format(limitBytes)}; raise it with {MemoryBudget.Option} (or {MemoryBudget.Variable}) on a machine with the memory, or audit a smaller batch size");
        if (options.SecondsBudget is not { } budget) return null;
        var each = EvaluationSeconds(analysis, m);
        var minimum = options.Batches * minimumEvaluations * each;
        if (minimum <= MaxBudgetMultiple * budget) return null;
        return string.Create(ic,
            $"not run: even its minimum of {minimumEvaluations} evaluations per batch would take an estimated {minimum:F0} s ({each:F0} s per second-order evaluation at M = {m}: {NumberText.G(ForwardPasses, 2)} × M forward passes of {NumberText.G3(SplitBudgetPlanner.Forward(analysis, Enumerable.Range(0, analysis.Layers.Count)))} multiply-adds at {NumberText.G(SplitBudgetPlanner.SecondsPerUnit, 2)} s + {NumberText.G(SecondsPerParameter, 2)} s per parameter), more than {NumberText.G(MaxBudgetMultiple, 2)} × the {budget:F0} s federated budget");
    }
}
