namespace OnnxAudit.Errors;

/// <summary>
/// Base of every error OnnxAudit reports to a user. The message is one line that names the file (or
/// option), the problem, and the fix when known; the CLI prints it and exits with code 2.
/// </summary>
public class OnnxAuditException : Exception
{
    /// <summary>Creates the exception with a one-line, user-facing message.</summary>
    public OnnxAuditException(string message) : base(message) { }

    /// <summary>Creates the exception with a one-line, user-facing message and its cause.</summary>
    public OnnxAuditException(string message, Exception innerException) : base(message, innerException) { }

    /// <summary>Creates the exception without a message (serialization and tooling only).</summary>
    public OnnxAuditException() { }
}
