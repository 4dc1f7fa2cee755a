using OnnxAudit.Progress;

namespace OnnxAudit.Audits.Federated;

/// <summary>The federated gradient-inversion auditor (analytic, Inverting Gradients, DLG, defences) on an
/// <see cref="AuditContext"/>; applies to every model the gradient builder differentiates (twice). Stateless.</summary>
public sealed class GradientInversionAuditor : IAuditor<FederatedAuditOptions, FederatedAuditResult>
{
    /// <summary>The instance.</summary>
    public static GradientInversionAuditor Instance { get; } = new();

    /// <inheritdoc />
    public string Id => "gradient-inversion";

    /// <inheritdoc />
    public string Threat => Threats.Federated;

    /// <inheritdoc />
    public string? NotApplicable(AuditContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.Labels is null) return "the data has no labels; the victim's gradient needs labels.";
        if (context.ImageDims.Length != 3) return "the input is not an image (C×H×W).";
        return null;
    }

    /// <inheritdoc />
    public FederatedAuditResult Run(AuditContext context, FederatedAuditOptions options, IAuditProgress progress)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(options);
        if (NotApplicable(context) is { } why) throw new Errors.OnnxAuditException(why);
        var labels = context.Labels!.Select(v => (long)v).ToArray();
        return FederatedLeakageAudit.Run(context.Model, context.Images, context.InputDims, labels, options with { Runtime = context.Runtime }, progress);
    }
}
