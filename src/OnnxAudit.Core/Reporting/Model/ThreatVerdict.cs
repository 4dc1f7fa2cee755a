namespace OnnxAudit.Reporting.Model;

/// <summary>The executive-summary verdict for one threat.</summary>
/// <param name="Threat">Threat name, e.g. "Federated gradient leakage".</param>
/// <param name="Severity">Verdict; <see cref="Model.Severity.NotAssessed"/> when the auditor did not run.</param>
/// <param name="Evidence">One sentence of evidence (or the reason it was not assessed).</param>
/// <param name="Actions">Recommended actions, each one sentence; may be empty.</param>
/// <param name="SectionId">Id of the report section holding the details, or null.</param>
public sealed record ThreatVerdict(
    string Threat,
    Severity Severity,
    string Evidence,
    IReadOnlyList<string> Actions,
    string? SectionId = null)
{
    /// <summary>True when the threat does not apply to the model (e.g. R-CONV on a model without convolutions): then
    /// <see cref="Model.Severity.NotAssessed"/> is an answer, and <c>--fail-on</c> does not treat it as a gap.</summary>
    public bool NotApplicable { get; init; }

    /// <summary>The quick-mode budget this verdict rests on (e.g. "200 batches, 300 white-box iterations"), or null for a
    /// full run. A verdict with a budget is provisional: every renderer says so beside it.</summary>
    public string? QuickBudget { get; init; }

    /// <summary>What a full run would add (one sentence), with <see cref="QuickBudget"/>.</summary>
    public string? FullRunAdds { get; init; }

    /// <summary>True when the verdict comes from a quick run (<see cref="QuickBudget"/> is set).</summary>
    public bool Provisional => QuickBudget is not null;

    /// <summary>A part of the threat that was requested but not assessed although the verdict has a severity (e.g. an R-CONV
    /// reconstruction chain blocked by an unsupported operator), or null. <c>--fail-on</c> treats it as a gap.</summary>
    public string? NotAssessedPart { get; init; }

    /// <summary>True when the threat, or a part of it (<see cref="NotAssessedPart"/>), was requested but not assessed (not
    /// assessed and not <see cref="NotApplicable"/>): <c>--fail-on</c> fails on it unless <c>--allow-not-assessed</c>.</summary>
    public bool IsGap => (Severity == Severity.NotAssessed && !NotApplicable) || NotAssessedPart is not null;

    /// <summary>The severity label with the provisional marker, e.g. "MEDIUM (provisional: quick run)".</summary>
    public string DisplayLabel => Provisional ? Severity.Label() + " (provisional: quick run)" : Severity.Label();
}
