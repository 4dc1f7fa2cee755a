namespace OnnxAudit.Errors;

/// <summary>A data file could not be read, or does not fit the model's input.</summary>
public sealed class DataFormatException : OnnxAuditException
{
    /// <summary>Creates the exception with a one-line message naming file, problem and fix.</summary>
    public DataFormatException(string message) : base(message) { }

    /// <summary>Creates the exception with a one-line message and its cause.</summary>
    public DataFormatException(string message, Exception innerException) : base(message, innerException) { }

    /// <summary>Creates the exception without a message (serialization and tooling only).</summary>
    public DataFormatException() { }
}
