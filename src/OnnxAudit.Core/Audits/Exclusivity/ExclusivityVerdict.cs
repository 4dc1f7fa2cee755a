using System.Globalization;
using OnnxAudit.Audits.GradientAttack;
using OnnxAudit.Common;

namespace OnnxAudit.Audits.Exclusivity;

/// <summary>The federated-gradient-leakage verdict: one place for its rule, thresholds and sentence.</summary>
public static class ExclusivityVerdict
{
    /// <summary>HIGH when the insecure proportion's 95% Wilson lower bound reaches this.</summary>
    public const double HighInsecureLowerBound = 0.05;

    /// <summary>MEDIUM when the insecure proportion's 95% Wilson upper bound reaches this.</summary>
    public const double MediumInsecureUpperBound = 0.01;

    /// <summary>The verdict rule, as written in the finding.</summary>
    public const string Rule =
        "HIGH if the insecure proportion at the deployment batch size has a 95% Wilson lower bound ≥ 5%, or the attack simulation at that batch size " +
        "recovered any sample at PSNR ≥ 30 dB; otherwise MEDIUM if its Wilson upper bound is ≥ 1%; NONE if every sampled batch lies in the secure boundary; LOW otherwise.";

    /// <summary>The quick budget, as stated beside a quick verdict.</summary>
    // why: the rule already reads MEDIUM from the interval's upper bound, so a quick run with few batches (wide interval)
    // errs towards MEDIUM, never towards LOW: the quick verdict is not lower than its evidence supports (issue 13).
    public const string QuickBudget = "200 sampled batches per statistic, 2 + 2 attack batches, 100 hardening batches, quick stage-2 feature matching; MEDIUM may rest on the wide interval's upper bound";

    /// <summary>What a full run adds to a quick federated verdict.</summary>
    public const string FullRunAdds = "1,000 batches per statistic narrow the 95% interval (a quick MEDIUM from its upper bound can become LOW) and 4 + 4 attack batches";

    /// <summary>The risk by <see cref="Rule"/>.</summary>
    public static Risk RiskOf(ExclusivityResult stats, AttackSimulationResult? attack)
    {
        ArgumentNullException.ThrowIfNull(stats);
        var main = stats.Main;
        var recovered = attack?.Batches.Where(b => b.TrueBatchSize == main.BatchSize)
            .SelectMany(b => b.Samples).Any(s => s.Psnr >= LeakageThresholds.RecoveredPsnr) ?? false;
        if (main.Insecure.Low >= HighInsecureLowerBound || recovered) return Risk.High;
        if (main.Insecure.High >= MediumInsecureUpperBound) return Risk.Medium;
        if (main.Secure.Count == main.Secure.Total) return Risk.None;
        return Risk.Low;
    }

    /// <summary>The verdict of the statistics and the attack at the deployment batch size.</summary>
    public static Verdict Of(ExclusivityResult stats, AttackSimulationResult? attack)
    {
        ArgumentNullException.ThrowIfNull(stats);
        var ic = CultureInfo.InvariantCulture;
        var m = stats.Main.BatchSize;
        var sentence = string.Create(ic, $"At M = {m}, {Invariant.Pct(stats.Main.Insecure.Proportion)} of sampled batches are insecure (95% CI {Invariant.Pct(stats.Main.Insecure.Low)}–{Invariant.Pct(stats.Main.Insecure.High)})");
        if (attack is not null)
        {
            var atM = attack.Batches.Where(b => b.TrueBatchSize == m).ToList();
            var recoveredAtM = atM.SelectMany(b => b.Samples).Count(s => s.Psnr >= LeakageThresholds.RecoveredPsnr);
            sentence += string.Create(ic, $"; the attack on {atM.Count} batches of size {m} recovered {recoveredAtM} of {atM.Count * m} samples at PSNR ≥ 30 dB");
        }
        return new Verdict(RiskOf(stats, attack), Rule, sentence + ".");
    }

    /// <summary>The verdict of a whole audit result (not applicable → <see cref="Risk.NotAssessed"/> with the reason).</summary>
    public static Verdict Of(ExclusivityAuditResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        if (result.NotApplicableReason is { } reason || result.Statistics is null)
        {
            var text = result.NotApplicableReason ?? "the exclusivity statistics were not computed.";
            return new Verdict(Risk.NotAssessed, Rule, "Not assessed: " + char.ToUpperInvariant(text[0]) + text[1..]);
        }
        return Of(result.Statistics, result.Attack);
    }
}
