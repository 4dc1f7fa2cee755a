namespace OnnxAudit.Reporting.Model;

/// <summary>A highlighted note.</summary>
/// <param name="Text">Text.</param>
/// <param name="Kind">Info or warning.</param>
public sealed record NoteBlock(string Text, NoteKind Kind = NoteKind.Info) : ReportBlock
{
    /// <inheritdoc/>
    public override string TypeName => "note";
}
