namespace OnnxAudit.Reporting.Model;

/// <summary>One numbered section of the report (one per auditor, plus the analysis sections).</summary>
/// <param name="Id">Stable identifier: lower-case letters, digits and '-' (HTML anchor, JSON key).</param>
/// <param name="Title">Heading text.</param>
/// <param name="Blocks">Content in display order.</param>
public sealed record ReportSection(string Id, string Title, IReadOnlyList<ReportBlock> Blocks)
{
    /// <summary>True when <paramref name="id"/> is a valid section id.</summary>
    public static bool IsValidId(string id) =>
        id.Length > 0 && id.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-');
}
