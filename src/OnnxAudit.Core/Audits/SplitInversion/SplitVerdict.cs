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

    /// <summary>The verdict of <paramref name="result"/>.</summary>
    public static Verdict Of(SplitInversionResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
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
