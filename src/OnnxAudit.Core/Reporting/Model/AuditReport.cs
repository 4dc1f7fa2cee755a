namespace OnnxAudit.Reporting.Model;

/// <summary>
/// The whole audit report. Producers (auditors, CLI) fill it with finished numbers and text; the
/// renderers (PDF, HTML, JSON) only lay it out and never compute.
/// </summary>
/// <param name="Title">Document title.</param>
/// <param name="Model">Identity of the audited model.</param>
/// <param name="ExecutiveSummary">One verdict per threat, in display order.</param>
/// <param name="Sections">Sections in display order; ids must be unique and valid (<see cref="ReportSection.IsValidId"/>).</param>
/// <param name="Methodology">Methodology and references.</param>
/// <param name="Reproducibility">Versions, seeds, hashes, command line.</param>
/// <param name="Timing">Timestamps and durations (not part of determinism comparisons).</param>
public sealed record AuditReport(
    string Title,
    ModelCard Model,
    IReadOnlyList<ThreatVerdict> ExecutiveSummary,
    IReadOnlyList<ReportSection> Sections,
    Methodology Methodology,
    Reproducibility Reproducibility,
    ReportTiming Timing)
{
    /// <summary>The most severe assessed verdict or finding, or <see cref="Severity.NotAssessed"/> when nothing was assessed.</summary>
    public Severity HighestSeverity()
    {
        var all = ExecutiveSummary.Select(v => v.Severity)
            .Concat(Sections.SelectMany(s => s.Blocks).OfType<FindingBlock>().Select(f => f.Severity))
            .Where(s => s != Severity.NotAssessed);
        // why: a report in which nothing could be assessed must not read "highest severity: none" (that would claim safety).
        return all.DefaultIfEmpty(Severity.NotAssessed).Max();
    }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first problem (duplicate or invalid section id, ragged table, …).</summary>
    public void Validate()
    {
        var ids = new HashSet<string>(StringComparer.Ordinal);
        foreach (var s in Sections)
        {
            if (!ReportSection.IsValidId(s.Id))
                throw new ArgumentException($"Section id '{s.Id}' is invalid: use lower-case letters, digits and '-'.");
            if (!ids.Add(s.Id))
                throw new ArgumentException($"Section id '{s.Id}' appears twice: section ids must be unique.");
            foreach (var b in s.Blocks) b.Validate(s.Id);
        }
        foreach (var v in ExecutiveSummary)
            if (v.SectionId is not null && !ids.Contains(v.SectionId))
                throw new ArgumentException($"Verdict '{v.Threat}' refers to section '{v.SectionId}', which is not in the report.");
    }
}
