using OnnxAudit.Progress;

namespace OnnxAudit.Audits;

/// <summary>One audit of the model in an <see cref="AuditContext"/>: what it is, whether it applies, and how to run it.</summary>
public interface IAuditor
{
    /// <summary>Stable identifier (e.g. "exclusivity").</summary>
    string Id { get; }

    /// <summary>The threat it assesses (one of <see cref="Threats.All"/>).</summary>
    string Threat { get; }

    /// <summary>Why the audit does not apply to the context's model (one sentence), or null when it does.</summary>
    string? NotApplicable(AuditContext context);
}

/// <summary>An auditor with its options record and immutable result.</summary>
/// <typeparam name="TOptions">Options record with a <c>Default</c> and a <c>Quick</c> preset.</typeparam>
/// <typeparam name="TResult">Immutable result record.</typeparam>
public interface IAuditor<in TOptions, out TResult> : IAuditor
{
    /// <summary>Runs the audit on the context's model and data.</summary>
    TResult Run(AuditContext context, TOptions options, IAuditProgress progress);
}
