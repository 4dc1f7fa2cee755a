namespace OnnxAudit.Reporting.Model;

/// <summary>A two-column list of labelled values.</summary>
/// <param name="Items">Entries in display order.</param>
/// <param name="Caption">Optional caption above the list.</param>
public sealed record KeyValueBlock(IReadOnlyList<KeyValue> Items, string? Caption = null) : ReportBlock
{
    /// <inheritdoc/>
    public override string TypeName => "key-values";
}
