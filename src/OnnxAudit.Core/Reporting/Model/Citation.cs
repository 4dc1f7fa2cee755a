namespace OnnxAudit.Reporting.Model;

/// <summary>A bibliography entry cited by the methodology.</summary>
/// <param name="Key">Short key shown in brackets, e.g. "Pan22".</param>
/// <param name="Text">Full reference: authors, title, venue, year.</param>
/// <param name="Url">Optional link (DOI or URL).</param>
public sealed record Citation(string Key, string Text, string? Url = null);
