namespace OnnxAudit.Audits.RConv;

/// <summary>How one layer's input was recovered.</summary>
public enum RConvSolveMethod
{
    /// <summary>First fully-connected layer: x_n = ∂ℓ/∂W[k,n] / ∂ℓ/∂b[k].</summary>
    FullyConnectedDivision,
    /// <summary>Per-channel least squares of the weight-gradient equations.</summary>
    GradientConstraints,
    /// <summary>One weighted least-squares system of the forward equations W*X + b = O (O from the inverted activation
    /// above; they couple channels) stacked on every channel's weight-gradient equations, solved by LSQR.</summary>
    JointGradientForward,
    /// <summary>Gradient constraints for what they determine, forward equations for the null space they leave.</summary>
    CombinedConstraints,
}

/// <summary>One solved layer of a reconstruction.</summary>
/// <param name="Layer">Node name.</param>
/// <param name="OpType">"Gemm" or "Conv".</param>
/// <param name="Method">How its input was obtained.</param>
/// <param name="Rows">Equations used (per channel system for gradient constraints, total for forward ones).</param>
/// <param name="Unknowns">Unknowns of that system.</param>
/// <param name="RelativeResidual">‖A·x − b‖ / ‖b‖ of the solved system(s).</param>
/// <param name="Seconds">Wall time of this layer.</param>
public sealed record RConvLayerStep(string Layer, string OpType, RConvSolveMethod Method, int Rows, int Unknowns, double RelativeResidual, double Seconds)
{
    /// <summary>Iterations of an iterative solve (LSQR for <see cref="RConvSolveMethod.JointGradientForward"/>); 0 for direct solves.</summary>
    public int Iterations { get; init; }
}

/// <summary>The outcome of reconstructing one sample from its gradient.</summary>
/// <param name="Succeeded">True when the walk reached the image.</param>
/// <param name="Image">The reconstructed image, CHW float32 (null when not reconstructable).</param>
/// <param name="Steps">The solved layers, from the FC layer down.</param>
/// <param name="FailedLayer">The node where the walk stopped (null on success).</param>
/// <param name="FailureReason">Why, in one sentence (null on success).</param>
/// <param name="Seconds">Total wall time (excluding the once-per-model forward factorisations).</param>
public sealed record RConvReconstruction(bool Succeeded, float[]? Image, IReadOnlyList<RConvLayerStep> Steps,
    string? FailedLayer, string? FailureReason, double Seconds);

/// <summary>Numerical rank of one group's gradient constraint matrix on real gradients.</summary>
/// <param name="Layer">Conv node.</param>
/// <param name="Group">Group index (0 when groups = 1).</param>
/// <param name="Rows">(F/G)·Kh·Kw.</param>
/// <param name="Unknowns">H·W.</param>
/// <param name="ZeroRows">Rows that are entirely zero (e.g. filters silenced by ReLU).</param>
/// <param name="Rank">Singular values above <c>Tolerance·σ_max</c>.</param>
/// <param name="Tolerance">The relative tolerance used.</param>
/// <param name="Source">Where ∂ℓ/∂O came from ("reconstruction" or "supplied").</param>
public sealed record RConvRankCheck(string Layer, int Group, int Rows, int Unknowns, int ZeroRows, int Rank, double Tolerance, string Source)
{
    /// <summary>The system determines every pixel of a channel: rank = H·W.</summary>
    public bool FullRank => Rank >= Unknowns;
}

/// <summary>Options of the R-CONV audit.</summary>
/// <param name="RankTolerance">Relative tolerance for numerical rank (σ_i &gt; tol·σ_max); 1e-6 matches float32 gradients.</param>
/// <param name="Images">How many images to reconstruct (0 = conditions and rank checks only).</param>
/// <param name="JointTolerance">LSQR stopping tolerance of the joint forward + gradient solve.</param>
/// <param name="JointResidualLimit">Largest relative forward residual accepted from the joint solve.</param>
/// <param name="Seed">Chooses which data images are attacked (a seeded permutation of the data set).</param>
/// <param name="Runtime">ONNX Runtime device and threads for the gradient session (null = default).</param>
public sealed record RConvOptions(double RankTolerance = 1e-6, int Images = 10, double JointTolerance = 1e-9, double JointResidualLimit = 1e-2,
    int Seed = 0, OnnxAudit.Runtime.RuntimeOptions? Runtime = null)
{
    /// <summary>Defaults: tolerance 1e-6, 10 images, seed 0, default runtime.</summary>
    public static RConvOptions Default { get; } = new();

    /// <summary><see cref="Default"/> with 3 reconstructed images (what <c>--quick</c> uses).</summary>
    public static RConvOptions Quick { get; } = new(Images: 3);
}
