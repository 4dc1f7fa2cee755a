using OnnxAudit.Common;
namespace OnnxAudit.Audits.Federated;

/// <summary>Budget of the Inverting Gradients attack (Geiping et al. 2020).</summary>
/// <param name="Iterations">Adam steps per restart (the published CIFAR setting is 4800, ImageNet 24000).</param>
/// <param name="Restarts">Independent random starts; the one with the lowest final matching loss is kept.</param>
/// <param name="LearningRate">Adam step size (published: 0.1), divided by 10 at 3/8, 5/8 and 7/8 of the iterations.</param>
/// <param name="TvWeight">α of the anisotropic TV prior (mean |Δ|) in [0,1] pixel space.</param>
/// <param name="Seed">Seed of the random starts.</param>
public sealed record InvertingOptions(int Iterations = 1200, int Restarts = 2, double LearningRate = 0.1, double TvWeight = 1e-2, int Seed = 0)
{
    /// <summary>At most 1200 iterations × 2 restarts (fewer when the audit's time budget plans fewer).</summary>
    public static InvertingOptions Default { get; } = new();

    /// <summary>At most 400 iterations × 1 restart (report --quick; the audit's time budget plans the count, at least
    /// <see cref="MinimumIterations"/>).</summary>
    public static InvertingOptions Quick { get; } = new(Iterations: 400, Restarts: 1);

    /// <summary>The fewest iterations a time-planned run gets, so that the time budget holds even for large models at M = 8.</summary>
    public const int MinimumIterations = 10;

    /// <summary>Below this many iterations a planned run is labelled a first look (the step schedule has barely started;
    /// published runs use 4,800–24,000).</summary>
    public const int FirstLookIterations = 100;

    /// <summary>How the iteration count was chosen (null = as configured); shown after <see cref="Describe"/>.</summary>
    public string? Planned { get; init; }

    /// <summary>One line for the report.</summary>
    public string Describe() => FormattableString.Invariant(
        $"Inverting Gradients: cosine distance over all parameter gradients + {NumberText.G3(TvWeight)}·TV, Adam on signed gradients, lr {NumberText.G3(LearningRate)} ÷10 at 3/8, 5/8, 7/8 of {Iterations} iterations, {Restarts} restart(s), pixels boxed to [0,1]") +
        (Planned is null ? "" : " (" + Planned + ")");
}

/// <summary>Budget of DLG (Zhu et al. 2019) with labels from the gradient (iDLG / Wainakh et al.).</summary>
/// <param name="Evaluations">Gradient-distance evaluations of L-BFGS per restart (DLG: 300 L-BFGS steps of up to 20 evaluations).</param>
/// <param name="Restarts">Random starts; the lowest final distance is kept.</param>
/// <param name="Seed">Seed of the random starts.</param>
public sealed record DlgOptions(int Evaluations = 600, int Restarts = 1, int Seed = 0)
{
    /// <summary>At most 600 evaluations × 1 restart.</summary>
    public static DlgOptions Default { get; } = new();

    /// <summary>At most 150 evaluations × 1 restart (report --quick; planned by the time budget, at least <see cref="MinimumEvaluations"/>).</summary>
    public static DlgOptions Quick { get; } = new(Evaluations: 150);

    /// <summary>The fewest evaluations a time-planned run gets.</summary>
    public const int MinimumEvaluations = 5;

    /// <summary>How the evaluation count was chosen (null = as configured).</summary>
    public string? Planned { get; init; }

    /// <summary>One line for the report.</summary>
    public string Describe() => FormattableString.Invariant(
        $"DLG: squared L2 gradient distance, L-BFGS (memory 10, Armijo backtracking), {Evaluations} evaluations, {Restarts} restart(s), unconstrained, clipped to [0,1] for scoring") +
        (Planned is null ? "" : " (" + Planned + ")");
}

/// <summary>What an optimisation attack returns for one observed gradient.</summary>
/// <param name="Images">M reconstructed images, NCHW row-major, in [0,1].</param>
/// <param name="Labels">The labels the reconstruction used (inferred from the gradient).</param>
/// <param name="FinalLoss">The matching loss of the kept restart.</param>
/// <param name="Evaluations">Second-order graph runs.</param>
/// <param name="Seconds">Wall-clock time.</param>
public sealed record Reconstruction(float[] Images, long[] Labels, double FinalLoss, int Evaluations, double Seconds);
