namespace OnnxAudit.Reporting.Model;

/// <summary>
/// A piece of section content. Closed set: <see cref="ParagraphBlock"/>, <see cref="KeyValueBlock"/>,
/// <see cref="TableBlock"/>, <see cref="FindingBlock"/>, <see cref="ChartBlock"/>,
/// <see cref="ImageGridBlock"/>, <see cref="NoteBlock"/>.
/// </summary>
public abstract record ReportBlock
{
    private protected ReportBlock() { }

    /// <summary>The JSON discriminator ("paragraph", "table", …).</summary>
    public abstract string TypeName { get; }

    /// <summary>Throws <see cref="ArgumentException"/> when the block is malformed.</summary>
    /// <param name="sectionId">Owning section, for the message.</param>
    public virtual void Validate(string sectionId) { }
}
