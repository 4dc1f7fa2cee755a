namespace OnnxAudit.Audits.RConv;

/// <summary>How a conv layer's input can be solved for, by counting constraints.</summary>
public enum RConvVerdict
{
    /// <summary>Each per-channel gradient system has at least as many equations as unknowns (F·Kh·Kw ≥ H·W per group).</summary>
    LeaksThroughGradientConstraints,
    /// <summary>Gradient systems are short, but the forward system W*X + b = O has enough equations
    /// (F·Oh·Ow ≥ N·H·W) and the following activation is invertible, so O is recoverable from the layer above.</summary>
    LeaksThroughForwardConstraints,
    /// <summary>Gradient systems are rank-short in some stride phase, and the forward equations (activation invertible)
    /// outnumber the N·Σ(phase deficits) unknowns the gradient leaves free: the two together determine the input.</summary>
    LeaksThroughCombinedConstraints,
    /// <summary>Neither count suffices: the input cannot be solved for from this layer's constraints.</summary>
    SafeByCounting,
}

/// <summary>
/// The R-CONV constraint counts for one Conv layer (single sample). Counting is necessary, not sufficient:
/// see <see cref="RConvRankCheck"/> for the numerical rank on real gradients.
/// </summary>
/// <param name="Geometry">The layer.</param>
/// <param name="FollowingActivation">The activation applied to the conv output (Identity when none; null when
/// the output goes to an operator that is not an element-wise activation, e.g. MaxPool).</param>
/// <param name="FollowingOpType">Op type of the consumer of the conv output (e.g. "LeakyRelu", "MaxPool").</param>
/// <param name="UnknownsX">|X| = N·H·W.</param>
/// <param name="ForwardConstraintsA">|A| = F·Oh·Ow.</param>
/// <param name="GradientConstraintsB">|B| = Kh·Kw·(N/G)·F (one per weight).</param>
/// <param name="RowsPerChannel">Equations of one input channel's gradient system: (F/G)·Kh·Kw.</param>
/// <param name="UnknownsPerChannel">Unknowns of one input channel's system: H·W (the system is over the unpadded
/// input; padding entries are known zeros and eliminated).</param>
/// <param name="GradientConditionHolds">(F/G)·Kh·Kw ≥ H·W and, with stride S &gt; 1, the same inequality in every stride
/// phase (pixels with i ≡ a, j ≡ b mod S only meet the taps with the same phase, so the system splits into S² blocks).</param>
/// <param name="PhaseRows">Rows of the tightest stride phase of one channel's gradient system: (F/G)·(taps in the phase).</param>
/// <param name="PhaseUnknowns">Pixels of that phase.</param>
/// <param name="GradientUndetermined">Unknowns per layer the gradient systems cannot fix by counting: N·Σ_phases max(0, pixels − rows).</param>
/// <param name="ForwardCountHolds">F·Oh·Ow ≥ N·H·W (per group: (F/G)·Oh·Ow ≥ (N/G)·H·W, the same inequality).</param>
/// <param name="ActivationInvertible">The following activation is invertible (false when there is none that is).</param>
/// <param name="MitigationRuleHolds">The slides' rule |X| &gt; |A| + |B| (true = the layer satisfies the mitigation).</param>
/// <param name="MaxSafeFilters">The largest F (multiple of G) for which neither the gradient condition nor a usable
/// forward condition holds; 0 when no F is safe.</param>
/// <param name="MaxFiltersMitigationRule">The largest F (multiple of G) that satisfies |X| &gt; |A| + |B|; 0 when none.</param>
/// <param name="Verdict">The counting verdict.</param>
/// <param name="Explanation">One line stating the rule and the numbers.</param>
public sealed record RConvLayerCondition(
    ConvGeometry Geometry, RConvActivation? FollowingActivation, string FollowingOpType,
    long UnknownsX, long ForwardConstraintsA, long GradientConstraintsB,
    long RowsPerChannel, long UnknownsPerChannel,
    bool GradientConditionHolds, long PhaseRows, long PhaseUnknowns, long GradientUndetermined, bool ForwardCountHolds, bool ActivationInvertible, bool MitigationRuleHolds,
    int MaxSafeFilters, int MaxFiltersMitigationRule, RConvVerdict Verdict, string Explanation)
{
    /// <summary>The forward constraints are usable: enough of them and an invertible activation.</summary>
    public bool ForwardConditionHolds => ForwardCountHolds && ActivationInvertible;
}
