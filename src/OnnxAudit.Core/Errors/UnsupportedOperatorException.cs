namespace OnnxAudit.Errors;

/// <summary>A node uses an operator that the requested computation (e.g. the gradient builder) does not
/// support. Carries the op type, node name, opset and the supported list.</summary>
public sealed class UnsupportedOperatorException : OnnxAuditException
{
    /// <summary>Creates the exception; the message lists the supported operators.</summary>
    public UnsupportedOperatorException(string opType, string nodeName, long opset, IReadOnlyList<string> supported, string? context = null)
        : base($"{(context is null ? "" : context + ": ")}operator {opType} (node '{nodeName}', opset {opset}) is not supported; supported operators are [{string.Join(", ", supported)}]. Re-export the model without {opType} or open an issue asking for it.")
    {
        OpType = opType;
        NodeName = nodeName;
        Opset = opset;
        Supported = supported;
    }

    /// <summary>The unsupported operator type.</summary>
    public string OpType { get; } = "";
    /// <summary>The node that uses it.</summary>
    public string NodeName { get; } = "";
    /// <summary>The default-domain opset of the model.</summary>
    public long Opset { get; }
    /// <summary>The operators that are supported.</summary>
    public IReadOnlyList<string> Supported { get; } = [];

    /// <summary>Creates the exception without details (tooling only).</summary>
    public UnsupportedOperatorException() { }
    /// <summary>Creates the exception with a message only.</summary>
    public UnsupportedOperatorException(string message) : base(message) { }
    /// <summary>Creates the exception with a message and cause.</summary>
    public UnsupportedOperatorException(string message, Exception innerException) : base(message, innerException) { }
}
