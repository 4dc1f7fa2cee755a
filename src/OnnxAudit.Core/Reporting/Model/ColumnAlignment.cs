namespace OnnxAudit.Reporting.Model;

/// <summary>Horizontal alignment of a table column.</summary>
public enum ColumnAlignment
{
    /// <summary>Left (text).</summary>
    Left,
    /// <summary>Centre.</summary>
    Center,
    /// <summary>Right (numbers).</summary>
    Right,
}
