using OnnxAudit.Progress;

namespace OnnxAudit.Audits.RConv;

/// <summary>The convolutional-gradient-leakage auditor (<see cref="RConvAuditor"/>). Stateless.</summary>
public sealed class ConvolutionalLeakageAuditor : IAuditor<RConvOptions, RConvAuditResult>
{
    /// <summary>The instance.</summary>
    public static ConvolutionalLeakageAuditor Instance { get; } = new();

    /// <inheritdoc />
    public string Id => "rconv";

    /// <inheritdoc />
    public string Threat => Threats.Convolutional;

    /// <inheritdoc />
    /// <remarks>Always null: a model without a usable convolution chain gets a result that says why it was not assessed.</remarks>
    public string? NotApplicable(AuditContext context) => null;

    /// <inheritdoc />
    public RConvAuditResult Run(AuditContext context, RConvOptions options, IAuditProgress progress)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(options);
        return RConvAuditor.Run(context.Model, context.Analysis, context.Data, options with { Runtime = context.Runtime }, progress);
    }
}
