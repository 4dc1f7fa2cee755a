using OnnxAudit.Reporting.Model;

namespace OnnxAudit.Reporting.Sections;

/// <summary>What one auditor adds to the report: its executive-summary verdict, its sections, and its method
/// notes and references.</summary>
/// <param name="Verdict">The verdict for the auditor's threat (its <c>Threat</c> must be one of <see cref="ReportAssembler.Threats"/>).</param>
/// <param name="Sections">Detail sections, in display order.</param>
/// <param name="Method">Methodology paragraphs.</param>
/// <param name="Citations">References cited by the method paragraphs.</param>
public sealed record AuditContribution(ThreatVerdict Verdict, IReadOnlyList<ReportSection> Sections, IReadOnlyList<string> Method, IReadOnlyList<Citation> Citations);
