using System.Globalization;
using OnnxAudit.Common;

namespace OnnxAudit.Audits.SplitInversion;

/// <summary>The split-inference verdict: one place for its rule, thresholds and sentence.</summary>
public static class SplitVerdict
{
    /// <summary>How the risk follows from the per-point verdicts and the recommendation.</summary>
    // why: the recommendation rule (SplitInversionResult.RecommendationRule) already says whether a usable split exists;
    // the risk follows it, so that [unsafe, safe, unsafe] (no recommendable point) is HIGH in the summary and the finding alike.
    public const string RiskRule =
        "HIGH when no audited split point can be recommended (no safe point after which every audited point is safe); " +
        "MEDIUM when some audited points are unsafe but a later split can be recommended; LOW when no audited point is unsafe";

    /// <summary>Quick mode: a point whose strongest attack's 95% upper bound comes within this many dB of the PSNR threshold
    /// counts as unsafe.</summary>
    // why: 300 white-box iterations and 150 training steps under-train the attacks; measured on fcn-512 at relu1 the
    // black-box attack reaches 20.19 dB / SSIM 0.689 in the full run but stays below 20 dB in the quick run (issue 13).
    public const double QuickPsnrMargin = 3;

    /// <summary>Quick mode: the SSIM margin below the SSIM threshold, as <see cref="QuickPsnrMargin"/>.</summary>
    public const double QuickSsimMargin = 0.1;

    /// <summary>The quick-mode rule, stated beside a quick verdict.</summary>
    public static string QuickRule { get; } = string.Create(CultureInfo.InvariantCulture,
        $"quick run (provisional): a split point counts as unsafe when the upper 95% bound of any attack's mean PSNR comes within {QuickPsnrMargin} dB of the PSNR threshold " +
        $"or its mean SSIM's upper bound within {QuickSsimMargin} of the SSIM threshold, and the verdict is at least MEDIUM, because the quick budget cannot rule out HIGH");

    /// <summary>The quick budget of <paramref name="options"/>, as stated beside a quick verdict.</summary>
    public static string QuickBudget(SplitAuditOptions options, SplitPlan? plan = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        return string.Create(CultureInfo.InvariantCulture,
            $"at most {SplitAuditOptions.QuickMaxPoints} split points, {options.WhiteBoxIterations(5000)} white-box iterations, at most {options.Steps} training steps (early stop on a held-out loss), {options.Images} target images")
            + (plan is null ? "" : string.Create(CultureInfo.InvariantCulture, $"; {(plan.Capped ? plan.ScaledCounts() + " by" : "within")} the time plan ({plan.PlannedSeconds:F0} s planned of a {plan.BudgetSeconds:F0} s budget)"));
    }

    /// <summary>What a full run adds to a quick split verdict.</summary>
    public const string FullRunAdds = "up to 8 split points, up to 5,000 white-box iterations per point (He et al.'s defaults) and up to 2,000 training steps (early stop on a held-out loss) for the inverse network and the shadow model, planned into 4× the quick plan's time (at least 240 s); only a full run can give LOW or recommend a split point";

    /// <summary>True when <paramref name="point"/> counts as unsafe under the quick rule (<see cref="QuickRule"/>).</summary>
    public static bool QuickUnsafe(SplitPointResult point, SplitThresholds thresholds)
    {
        ArgumentNullException.ThrowIfNull(point);
        ArgumentNullException.ThrowIfNull(thresholds);
        return point.Unsafe || point.Attacks.Where(a => a.Ran).Any(a =>
            a.MeanPsnr.Upper >= thresholds.Psnr - QuickPsnrMargin || a.MeanSsim.Upper >= thresholds.Ssim - QuickSsimMargin);
    }

    /// <summary>The attacks that were requested (run or skipped) at any split point, in the order white-box, black-box, query-free.</summary>
    public static IReadOnlyList<SplitAttack> Requested(SplitInversionResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var present = result.Points.SelectMany(p => p.Attacks).Select(a => a.Attack).ToHashSet();
        return Enum.GetValues<SplitAttack>().Where(present.Contains).ToList();
    }

    /// <summary>The caveat of a verdict that rests on a subset of the three attacks (e.g. <c>--attacks blackbox</c>), or null
    /// when all three were requested.</summary>
    // why: issue 13: `--attacks blackbox` alone said "LOW … split at flatten" with no caveat, although white-box reaches
    // 56 dB there; a verdict on a subset must say which attacks it does not cover.
    public static string? SubsetCaveat(SplitInversionResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        if (result.Points.Count == 0) return null;
        var requested = Requested(result);
        var missing = Enum.GetValues<SplitAttack>().Where(a => !requested.Contains(a)).ToList();
        if (missing.Count == 0) return null;
        return $"Only the {string.Join(" and ", requested.Select(AttackName))} attack{(requested.Count > 1 ? "s were" : " was")} run (--attacks); " +
               $"{string.Join(" and ", missing.Select(AttackName))} {(missing.Count > 1 ? "were" : "was")} not, so this verdict does not cover {(missing.Count > 1 ? "them" : "it")}" +
               (missing.Contains(SplitAttack.WhiteBox) ? " (white-box is usually the strongest)" : "") +
               "; run all three attacks before choosing a split point.";
    }

    /// <summary>The verdict of <paramref name="result"/>.</summary>
    public static Verdict Of(SplitInversionResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var verdict = result.Quick ? OfQuick(result) : OfFull(result);
        return SubsetCaveat(result) is { } caveat ? verdict with { Sentence = verdict.Sentence + " " + caveat } : verdict;
    }

    private static Verdict OfFull(SplitInversionResult result)
    {
        var unsafePoints = result.Points.Where(p => p.Unsafe).ToList();
        var risk = unsafePoints.Count == 0 ? Risk.Low : result.Recommended is null ? Risk.High : Risk.Medium;
        var sentence = result.Points.Count == 0 ? "No split point was audited."
            : unsafePoints.Count == 0
            ? string.Create(CultureInfo.InvariantCulture,
                $"No attack reached the thresholds at the {result.Points.Count} audited split point(s) (strongest at {result.Points[0].Point.ProducerLabel}: {Strongest(result.Points[0])}).")
            : string.Create(CultureInfo.InvariantCulture,
                $"{unsafePoints.Count} of {result.Points.Count} audited split point(s) are unsafe; at {unsafePoints[0].Point.ProducerLabel} the strongest attack reaches {Strongest(unsafePoints[0])}.")
              + (result.Recommended is { } rec ? $" Earliest safe split: {rec.ProducerLabel} ({rec.Tensor})."
                 : unsafePoints.Count == result.Points.Count ? " No audited split point is safe."
                 : " No audited split point is followed only by safe points, so none can be recommended.");
        return new Verdict(risk, $"{result.VerdictRule}; {RiskRule}", sentence);
    }

    private static Verdict OfQuick(SplitInversionResult result)
    {
        var judged = result.Points.Select(p => p with { Unsafe = QuickUnsafe(p, result.Thresholds) }).ToList();
        var unsafePoints = judged.Where(p => p.Unsafe).ToList();
        var recommended = SplitInversionResult.Recommend(judged);
        var risk = unsafePoints.Count > 0 && recommended is null ? Risk.High : Risk.Medium;
        var sentence = result.Points.Count == 0 ? "No split point was audited."
            : string.Create(CultureInfo.InvariantCulture,
                $"Quick run: {unsafePoints.Count} of {judged.Count} audited split point(s) are unsafe or within the quick margin")
              + (unsafePoints.Count > 0 ? $"; at {unsafePoints[0].Point.ProducerLabel} the strongest attack reaches {Strongest(unsafePoints[0])}" : "")
              + (risk == Risk.High ? "; no audited split point is clear of the margin with only clear points after it."
                 : recommended is { } rec ? $"; {rec.ProducerLabel} ({rec.Tensor}) may be safe, but only a full run can recommend it." : ".");
        return new Verdict(risk, $"{result.VerdictRule}; {QuickRule}; {RiskRule}", sentence);
    }

    /// <summary>The attack with the highest mean PSNR at <paramref name="point"/>, as "white-box 35.5 dB / SSIM 0.977".</summary>
    public static string Strongest(SplitPointResult point)
    {
        ArgumentNullException.ThrowIfNull(point);
        var best = point.Attacks.Where(a => a.Ran).OrderByDescending(a => a.MeanPsnr.Estimate).FirstOrDefault();
        return best is null ? "no attack ran"
            : $"{AttackName(best.Attack)} {Db(best.MeanPsnr.Estimate)} / SSIM {F(best.MeanSsim.Estimate, 3)}";
    }

    /// <summary>The attack's name in report text.</summary>
    public static string AttackName(SplitAttack a) => a switch
    {
        SplitAttack.WhiteBox => "white-box",
        SplitAttack.BlackBox => "black-box",
        _ => "query-free",
    };

    private static string Db(double psnr) => Invariant.Db(psnr);

    private static string F(double v, int decimals) => Invariant.F(v, decimals);
}
