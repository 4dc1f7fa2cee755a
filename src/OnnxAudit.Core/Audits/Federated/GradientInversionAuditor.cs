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
        return FederatedLeakageAudit.Run(context.Model, context.Images, context.InputDims, labels, Gate(context.Analysis, options, Common.MemoryBudget.Limit) with { Runtime = context.Runtime }, progress);
    }

    /// <summary><paramref name="options"/> with the Inverting and DLG attacks that <see cref="SecondOrderCost.NotRunReason"/> rules
    /// out (memory above <paramref name="limitBytes"/>, or a minimum run far over the budget) turned off, with their reasons.</summary>
    // why: issue 17: vit_b_16@224 was OOM-killed in its first Inverting evaluation; an attack that cannot fit is skipped with
    // its reason and the rest of the federated section (victim gradients, labels, exclusivity) still counts.
    internal static FederatedAuditOptions Gate(Graph.GraphAnalysis analysis, FederatedAuditOptions options, long limitBytes)
    {
        var inv = options.Inverting is null ? null : SecondOrderCost.NotRunReason(analysis, options, InvertingOptions.MinimumIterations + 1, limitBytes);
        var dlg = options.Dlg is null ? null : SecondOrderCost.NotRunReason(analysis, options, DlgOptions.MinimumEvaluations, limitBytes);
        return options with
        {
            Inverting = inv is null ? options.Inverting : null,
            Dlg = dlg is null ? options.Dlg : null,
            InvertingNotRun = inv ?? options.InvertingNotRun,
            DlgNotRun = dlg ?? options.DlgNotRun,
        };
    }
}
