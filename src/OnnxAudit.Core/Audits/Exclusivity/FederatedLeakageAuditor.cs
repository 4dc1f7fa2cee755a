using OnnxAudit.Progress;

namespace OnnxAudit.Audits.Exclusivity;

/// <summary>The federated-gradient-leakage auditor: neuron-exclusivity statistics, the attack simulation and the
/// hardening check (<see cref="ExclusivityAudit"/>). Stateless.</summary>
public sealed class FederatedLeakageAuditor : IAuditor<ExclusivityAuditOptions, ExclusivityAuditResult>
{
    /// <summary>The instance.</summary>
    public static FederatedLeakageAuditor Instance { get; } = new();

    /// <inheritdoc />
    public string Id => "exclusivity";

    /// <inheritdoc />
    public string Threat => Threats.Federated;

    /// <inheritdoc />
    public string? NotApplicable(AuditContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return ExclusivityAudit.NotApplicable(context.Model, context.Analysis);
    }

    /// <inheritdoc />
    public ExclusivityAuditResult Run(AuditContext context, ExclusivityAuditOptions options, IAuditProgress progress)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(options);
        return ExclusivityAudit.RunAll(context, options with { Runtime = context.Runtime }, progress);
    }
}
