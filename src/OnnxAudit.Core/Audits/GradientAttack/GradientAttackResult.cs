namespace OnnxAudit.Audits.GradientAttack;

/// <summary>Options of the analytic attack (Pan et al. Appendix B).</summary>
/// <param name="RelativeTolerance">B.1: two last-layer gradient columns belong to one sample when their unit-norm
/// directions differ by at most this much in every class entry (the ExAN columns of one sample are float32 multiples
/// of one loss vector and agree to ~1e-7).</param>
/// <param name="ConeTolerance">B.1: a group whose direction is a non-negative combination of the other groups' directions
/// within this residual (unit-norm vectors) is a mixture of shared columns, not a sample, and is dropped.</param>
public sealed record GradientAttackOptions(double RelativeTolerance = 1e-6, double ConeTolerance = 1e-5)
{
    /// <summary>Tolerance 1e-6, cone residual 1e-5.</summary>
    public static GradientAttackOptions Default { get; } = new();
}

/// <summary>How the loss-vector scales were fixed.</summary>
public enum LossScaleMethod
{
    /// <summary>Least squares on the last bias gradient ∂b_H = (1/M)Σ s_m·u^m.</summary>
    LastBiasLeastSquares,
    /// <summary>The paper's rule (Algorithm B.1 line 14): ḡ_1 = 2δ/3, i.e. the label entry fixed at −2/3.</summary>
    TwoThirdsRule,
}

/// <summary>One sample the attacker separated from the averaged gradient.</summary>
/// <param name="Label">Recovered label (B.2).</param>
/// <param name="LabelFromSign">True when exactly one loss-vector entry was negative (B.2 applies); false means a fallback (argmin).</param>
/// <param name="LossVector">Recovered loss vector ḡ^m (scaled).</param>
/// <param name="LastLayerExans">I_H^m: the ExAN indices of the last ReLU layer (B.1 group).</param>
/// <param name="HeadInput">Recovered head input (the image for an FCN, Φ(x) for a CNN), or null when recovery failed.</param>
/// <param name="Failure">Why the input could not be recovered, or null.</param>
public sealed record RecoveredSample(int Label, bool LabelFromSign, float[] LossVector, int[] LastLayerExans, float[]? HeadInput, string? Failure);

/// <summary>The attacker's output for one averaged gradient.</summary>
/// <param name="InferredBatchSize">Number of B.1 groups (of size ≥ 2).</param>
/// <param name="Samples">One entry per group.</param>
/// <param name="ScaleMethod">How the loss-vector scales were obtained.</param>
/// <param name="InputMethod">"bias division" (X = ∂W_0[j,:]/∂b_0[j]) or "least squares".</param>
/// <param name="Notes">Diagnostics (skipped columns, residuals, failures).</param>
public sealed record GradientAttackResult(int InferredBatchSize, IReadOnlyList<RecoveredSample> Samples, LossScaleMethod ScaleMethod,
    string InputMethod, IReadOnlyList<string> Notes);
