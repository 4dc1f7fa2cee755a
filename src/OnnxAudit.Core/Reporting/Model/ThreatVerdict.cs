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
    string? SectionId = null);
