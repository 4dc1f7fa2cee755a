using OnnxAudit.Progress;

namespace OnnxAudit.Audits.SplitInversion;

/// <summary>The split-inference-inversion auditor (<see cref="SplitInversionAuditor"/>). Stateless.</summary>
public sealed class SplitPointAuditor : IAuditor<SplitAuditOptions, SplitInversionResult>
{
    /// <summary>The instance.</summary>
    public static SplitPointAuditor Instance { get; } = new();

    /// <inheritdoc />
    public string Id => "split";

    /// <inheritdoc />
    public string Threat => Threats.Split;

    /// <inheritdoc />
    public string? NotApplicable(AuditContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.Analysis.SplitPoints.Count == 0
            ? $"{context.Model.Origin}: the model has no split point (no tensor separates the input from the output); there is nothing to audit for split inference."
            : null;
    }

    /// <inheritdoc />
    public SplitInversionResult Run(AuditContext context, SplitAuditOptions options, IAuditProgress progress)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(options);
        return SplitInversionAuditor.Run(context.Model, context.Analysis, context.Data, options with { Runtime = context.Runtime }, progress);
    }
}
