namespace OnnxAudit.Errors;

/// <summary>The model file could not be read as a usable ONNX model (missing, not protobuf, truncated,
/// no graph, bad external data, …).</summary>
public sealed class ModelLoadException : OnnxAuditException
{
    /// <summary>Creates the exception with a one-line message naming file, problem and fix.</summary>
    public ModelLoadException(string message) : base(message) { }

    /// <summary>Creates the exception with a one-line message and its cause.</summary>
    public ModelLoadException(string message, Exception innerException) : base(message, innerException) { }

    /// <summary>Creates the exception without a message (serialization and tooling only).</summary>
    public ModelLoadException() { }
}
