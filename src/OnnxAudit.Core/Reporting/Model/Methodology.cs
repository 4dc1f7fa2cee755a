namespace OnnxAudit.Reporting.Model;

/// <summary>How the audit was done, with the papers it follows.</summary>
/// <param name="Paragraphs">Plain-text paragraphs.</param>
/// <param name="References">Cited works, in citation order.</param>
public sealed record Methodology(IReadOnlyList<string> Paragraphs, IReadOnlyList<Citation> References);
