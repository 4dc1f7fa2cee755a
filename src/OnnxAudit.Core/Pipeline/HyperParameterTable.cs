using System.Globalization;
using OnnxAudit.Audits.Federated;
using OnnxAudit.Audits.SplitInversion;
using OnnxAudit.Reporting.Model;
using OnnxAudit.Reporting.Sections;

namespace OnnxAudit.Pipeline;

/// <summary>One compact table of every budget, learning rate, step count, seed, batch size and threshold the report's
/// auditors used, read from the same option objects the auditors ran with (issue 13: the hyper-parameters were a wall of
/// text in the methodology).</summary>
public static class HyperParameterTable
{
    /// <summary>The section id.</summary>
    public const string SectionId = "hyper-parameters";

    /// <summary>The section for the threats that were assessed (a threat not assessed has no row).</summary>
    public static ReportSection Build(ReportRequest request, IReadOnlyList<AuditContribution> contributions)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(contributions);
        bool Ran(string threat) => contributions.Any(c => c.Verdict.Threat == threat && c.Verdict.Severity != Severity.NotAssessed);
        var rows = new List<IReadOnlyList<TableCell>>();
        void Row(string threat, string setting, string value) => rows.Add([threat, setting, value]);
        var ic = CultureInfo.InvariantCulture;
        if (Ran(ReportAssembler.FederatedThreat))
        {
            const string t = "Federated";
            var e = AuditPipeline.ExclusivityOptions(request);
            var f = AuditPipeline.FederatedOptions(request);
            Row(t, "deployment batch size M", e.BatchSize.ToString(ic));
            Row(t, "exclusivity statistics", string.Create(ic, $"{(e.Quick ? Math.Min(200, e.Batches) : e.Batches)} sampled batches per statistic, 95% Wilson intervals, seed {e.Seed}"));
            var attack = e.Quick ? Math.Min(2, e.AttackBatches) : e.AttackBatches;
            Row(t, "analytic attack (Pan et al.)", string.Create(ic, $"{attack} insecure + {attack} random batches; hardening check on {(e.Quick ? 100 : 200)} batches"));
            if (f.Inverting is { } inv)
                Row(t, "Inverting Gradients", string.Create(ic, $"{inv.Iterations} iterations × {inv.Restarts} restart(s), Adam lr {inv.LearningRate:G3}, λ_TV {inv.TvWeight:G3}, {f.Batches} victim batch(es)"));
            if (f.Dlg is { } dlg)
                Row(t, "DLG (labels from the gradient)", string.Create(ic, $"{dlg.Evaluations} L-BFGS evaluations × {dlg.Restarts} restart(s)"));
            Row(t, "defences (attacked by Inverting)", string.Join("; ", (f.Defences ?? FederatedAuditOptions.PaperDefences).Select(d => d.Name)));
            Row(t, "thresholds", string.Create(ic, $"an attack leaks at mean PSNR ≥ {f.LeakPsnr:G3} dB; a sample is recovered at ≥ {Audits.LeakageThresholds.RecoveredPsnr:G3} dB; seed {f.Seed}"));
        }
        if (Ran(ReportAssembler.ConvolutionalThreat))
        {
            const string t = "Convolutional";
            var r = AuditPipeline.RConvOptions(request);
            Row(t, "reconstructed images", string.Create(ic, $"{r.Images} (single-sample gradients), seed {r.Seed}"));
            Row(t, "tolerances", string.Create(ic, $"rank {r.RankTolerance:G3}, joint solve {r.JointTolerance:G3}, residual limit {r.JointResidualLimit:G3}"));
            Row(t, "threshold", string.Create(ic, $"a reconstruction succeeds at PSNR ≥ {Audits.RConv.ConvolutionalVerdict.SuccessPsnr:G3} dB (peak 1)"));
        }
        if (Ran(ReportAssembler.SplitThreat))
        {
            const string t = "Split inference";
            var s = AuditPipeline.SplitOptions(request);
            Row(t, "split points", s.At is { } at ? at
                : s.MaxPoints is { } max ? string.Create(ic, $"at most {(s.Quick ? Math.Min(max, SplitAuditOptions.QuickMaxPoints) : max)} spread over depth") : "all");
            Row(t, "attacks, targets", string.Create(ic, $"{string.Join(", ", s.Attacks.Select(SplitVerdict.AttackName))}; {s.Images} target images, seed {s.Seed}"));
            var classes = Enum.GetValues<DepthClass>().Select(c =>
            {
                var d = WhiteBoxHyperparameters.Defaults(c);
                return string.Create(ic, $"{WhiteBoxHyperparameters.Label(c)} lr {s.Lr ?? d.LearningRate:G3} λ_TV {s.Tv ?? d.TvWeight:G3}");
            });
            Row(t, "white-box (Adam, AMSGrad)", string.Create(ic, $"{s.WhiteBoxIterations(WhiteBoxHyperparameters.Defaults(DepthClass.Conv1).Iterations)} iterations per point; {string.Join("; ", classes)}")
                + (s.Tv is null ? "; a positive λ_TV is retried with λ_TV 0" : ""));
            Row(t, "black-box inverse network, query-free shadow", string.Create(ic, $"{s.Steps} Adam steps, lr 1e-3, batch {s.TrainingBatch}, at most {s.MaxAuxImages} auxiliary images"));
            Row(t, "thresholds", string.Create(ic, $"unsafe at mean PSNR ≥ {s.Thresholds.Psnr:G3} dB or mean SSIM ≥ {s.Thresholds.Ssim:G3}")
                + (s.Quick ? string.Create(ic, $"; quick: within {SplitVerdict.QuickPsnrMargin:G3} dB / {SplitVerdict.QuickSsimMargin:G3} of them by the 95% upper bound") : ""));
        }
        TableColumn[] cols = [new("threat", ColumnAlignment.Left, 1), new("setting", ColumnAlignment.Left, 1.6), new("value", ColumnAlignment.Left, 4)];
        ReportBlock table = rows.Count == 0
            ? new NoteBlock("No threat was assessed, so no hyper-parameter was used.", NoteKind.Info)
            : new TableBlock(request.Quick ? "Budgets, learning rates, steps, seeds, batch sizes and thresholds used (quick run)" : "Budgets, learning rates, steps, seeds, batch sizes and thresholds used", cols, rows);
        return new ReportSection(SectionId, "Hyper-parameters and budgets", [table]);
    }
}
