namespace OnnxAudit.Reporting.Model;

/// <summary>Kind of a <see cref="NoteBlock"/>.</summary>
public enum NoteKind
{
    /// <summary>Information (e.g. "quick mode: 4 batches instead of 64").</summary>
    Info,
    /// <summary>Warning (e.g. a limitation of the measurement).</summary>
    Warning,
}
