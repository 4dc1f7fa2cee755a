using System.Globalization;

namespace OnnxAudit.Audits.RConv;

/// <summary>The convolutional-gradient-leakage verdict: one place for its rule, threshold and sentence.</summary>
public static class ConvolutionalVerdict
{
    /// <summary>Reconstructions at or above this PSNR (dB, peak 1) count as successful for the rule.</summary>
    public const double SuccessPsnr = LeakageThresholds.RecoveredPsnr;

    /// <summary>The rule behind the risk, stated in the report.</summary>
    public const string Rule =
        "HIGH when sample images are reconstructed at ≥ 30 dB PSNR (peak 1) from single-sample gradients, or when every conv layer's " +
        "conditions hold and nothing breaks the chain; MEDIUM when some layer leaks its input (gradient or forward condition holds) but " +
        "the chain to the image is broken; LOW when no layer meets a condition; NOT ASSESSED without convolution layers.";

    /// <summary>The quick budget, as stated beside a quick verdict.</summary>
    // why: the counting conditions and rank checks are exact in quick mode too; only the number of reconstructed images is
    // smaller, so a quick verdict can only miss a HIGH from reconstruction, never a HIGH from the conditions.
    public const string QuickBudget = "3 reconstructed images (conditions and rank checks are exact)";

    /// <summary>What a full run adds to a quick convolutional verdict.</summary>
    public const string FullRunAdds = "10 reconstructed images, so the reconstruction PSNR rests on more samples";

    /// <summary>The verdict of <paramref name="r"/> by <see cref="Rule"/>.</summary>
    public static Verdict Of(RConvAuditResult r)
    {
        ArgumentNullException.ThrowIfNull(r);
        var v = OfCounted(r);
        return r.UnassessedChain is { } why && v.Risk != Risk.NotAssessed
            ? v with { Sentence = v.Sentence + $" The reconstruction chain was not assessed (so --fail-on treats it as a gap): {why.TrimEnd('.')}." }
            : v;
    }

    private static Verdict OfCounted(RConvAuditResult r)
    {
        if (r.NotAssessedReason is { } why) return new Verdict(Risk.NotAssessed, Rule, why);
        // why: issue 17: with no layer conditions and no reconstruction nothing was measured; "every layer leaks" would be
        // vacuously true and gave High to models the audit never assessed. Not assessed never gets a severity.
        if (r.Conditions.Count == 0 && r.Images.All(i => i.Psnr is null))
            return new Verdict(Risk.NotAssessed, Rule, "no convolution layer's conditions could be assessed.");
        var ok = r.Images.Where(i => i.Psnr >= SuccessPsnr).ToList();
        var leaking = r.Conditions.Where(c => c.Verdict != RConvVerdict.SafeByCounting).ToList();
        if (ok.Count > 0)
            return new(Risk.High, Rule, Inv($"{ok.Count} of {r.Images.Count} sample images were reconstructed from their single-sample gradients at a mean PSNR of {ok.Average(i => i.Psnr!.Value):F1} dB (peak 1)."));
        if (leaking.Count == r.Conditions.Count && r.ChainBreakLayer is null)
            return new(Risk.High, Rule, Inv($"all {r.Conditions.Count} convolution layers meet a leakage condition and nothing on the chain blocks the reconstruction."));
        if (leaking.Count > 0)
            return new(Risk.Medium, Rule, Inv($"{leaking.Count} of {r.Conditions.Count} convolution layers leak their inputs ({FirstFew(leaking.Select(c => c.Geometry.Name).ToList())}), but {(r.UnassessedChain is null ? "the reconstruction stops at" : "the reconstruction was not attempted from")} {r.ChainBreakLayer ?? r.Images.Select(i => i.Detail.FailedLayer).FirstOrDefault(l => l is not null) ?? "a layer"}."));
        return new(Risk.Low, Rule, Inv($"no convolution layer meets the gradient or forward condition ({r.Conditions.Count} layers checked)."));
    }

    /// <summary>How many names an evidence sentence lists before "+N more" (the full list is in the conditions table of the HTML and JSON).</summary>
    public const int EvidenceNames = 3;

    /// <summary>"a, b, c +42 more" for a long list of names, the whole list when it is short (issue 13: the cover page
    /// and the terminal listed all 45 leaking layers of mobilenet_v3_small).</summary>
    public static string FirstFew(IReadOnlyList<string> names)
    {
        ArgumentNullException.ThrowIfNull(names);
        return names.Count <= EvidenceNames + 1 ? string.Join(", ", names)
            : string.Join(", ", names.Take(EvidenceNames)) + Inv($" +{names.Count - EvidenceNames} more (every layer in the conditions table)");
    }

    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
