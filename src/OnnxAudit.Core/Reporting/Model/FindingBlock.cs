namespace OnnxAudit.Reporting.Model;

/// <summary>A finding: what was measured, how bad it is, and what to do.</summary>
/// <param name="Severity">Severity (decides <c>--fail-on</c>).</param>
/// <param name="Title">Short title.</param>
/// <param name="Evidence">The measurement that supports it.</param>
/// <param name="Recommendation">What to do about it.</param>
/// <param name="Rule">The rule that fired, e.g. "Pan et al. §5.1: N_H ≥ 2 for every sample".</param>
public sealed record FindingBlock(Severity Severity, string Title, string Evidence, string Recommendation, string Rule) : ReportBlock
{
    /// <inheritdoc/>
    public override string TypeName => "finding";
}
