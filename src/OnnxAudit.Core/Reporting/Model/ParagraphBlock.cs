namespace OnnxAudit.Reporting.Model;

/// <summary>A paragraph of wrapped text made of plain and bold runs.</summary>
/// <param name="Runs">Runs in order; spaces between runs must be part of the run text.</param>
public sealed record ParagraphBlock(IReadOnlyList<TextRun> Runs) : ReportBlock
{
    /// <summary>A paragraph of plain text.</summary>
    public ParagraphBlock(string text) : this([new TextRun(text)]) { }

    /// <summary>The paragraph's text without formatting.</summary>
    public string PlainText => string.Concat(Runs.Select(r => r.Text));

    /// <inheritdoc/>
    public override string TypeName => "paragraph";
}
