namespace OnnxAudit.Reporting.Model;

/// <summary>A run of paragraph text, optionally bold.</summary>
/// <param name="Text">Text (plain; renderers escape it).</param>
/// <param name="Bold">Bold face.</param>
public sealed record TextRun(string Text, bool Bold = false)
{
    /// <summary>A plain run.</summary>
    public static implicit operator TextRun(string text) => new(text);
}
