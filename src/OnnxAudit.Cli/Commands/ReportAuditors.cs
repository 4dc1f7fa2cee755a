using OnnxAudit.Audits.Exclusivity;
using OnnxAudit.Audits.RConv;
using OnnxAudit.Audits.SplitInversion;
using OnnxAudit.Data;
using OnnxAudit.Graph;
using OnnxAudit.Onnx;
using OnnxAudit.Progress;
using OnnxAudit.Reporting.Sections;
using OnnxAudit.Runtime;

namespace OnnxAudit.Cli.Commands;

/// <summary>Settings of one <c>report</c> run that the auditors share.</summary>
/// <param name="BatchSize">The federated clients' batch size M.</param>
/// <param name="Splits">"all" or split tensor names.</param>
/// <param name="Quick">Reduced budgets (each auditor states its own in its section).</param>
/// <param name="Seed">Random seed.</param>
/// <param name="Runtime">ONNX Runtime options.</param>
internal sealed record ReportSettings(int BatchSize, IReadOnlyList<string> Splits, bool Quick, int Seed, RuntimeOptions Runtime);

/// <summary>Runs one auditor for the report and returns its contribution.</summary>
internal delegate AuditContribution ReportAuditor(OnnxModel model, GraphAnalysis analysis, Dataset data, ReportSettings settings, IAuditProgress progress);

/// <summary>The auditors the <c>report</c> verb runs, by threat.</summary>
internal static class ReportAuditors
{
    public static ReportAuditor? For(string threat) => threat switch
    {
        ReportAssembler.FederatedThreat => Exclusivity,
        ReportAssembler.ConvolutionalThreat => RConv,
        ReportAssembler.SplitThreat => Split,
        _ => null,
    };

    private static AuditContribution Exclusivity(OnnxModel model, GraphAnalysis analysis, Dataset data, ReportSettings settings, IAuditProgress progress) =>
        ExclusivityReport.Build(ExclusivityAudit.RunAll(model, analysis, data,
            ExclusivityAuditOptions.Default with { BatchSize = settings.BatchSize, Seed = settings.Seed, Quick = settings.Quick, Runtime = settings.Runtime },
            progress));

    private static AuditContribution Split(OnnxModel model, GraphAnalysis analysis, Dataset data, ReportSettings settings, IAuditProgress progress)
    {
        var at = settings.Splits.Count == 1 && settings.Splits[0] == "all" ? null : string.Join(',', settings.Splits);
        return SplitInversionReport.Build(SplitInversionAuditor.Run(model, analysis, data,
            new SplitAuditOptions { At = at, Quick = settings.Quick, Seed = settings.Seed, Runtime = settings.Runtime }, progress));
    }

    private static AuditContribution RConv(OnnxModel model, GraphAnalysis analysis, Dataset data, ReportSettings settings, IAuditProgress progress) =>
        RConvReport.Build(RConvAuditor.Run(model, analysis, data,
            RConvOptions.Default with { Images = settings.Quick ? 3 : 10, Seed = settings.Seed, Runtime = settings.Runtime }, progress));
}
