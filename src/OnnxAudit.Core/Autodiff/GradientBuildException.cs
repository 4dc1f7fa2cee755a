using OnnxAudit.Errors;

namespace OnnxAudit.Autodiff;

/// <summary>The gradient graph cannot be built for this model/request (bad tensor name, unsupported attribute value,
/// shapes that cannot be derived statically). The message names the node or option and the fix.</summary>
public sealed class GradientBuildException : OnnxAuditException
{
    /// <summary>Creates the exception with a one-line message.</summary>
    public GradientBuildException(string message) : base(message) { }

    /// <summary>Creates the exception without details (tooling only).</summary>
    public GradientBuildException() { }

    /// <summary>Creates the exception with a message and cause.</summary>
    public GradientBuildException(string message, Exception innerException) : base(message, innerException) { }
}
