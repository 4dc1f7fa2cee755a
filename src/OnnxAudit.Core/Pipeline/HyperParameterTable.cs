using OnnxAudit.Common;
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
    public static ReportSection Build(ReportRequest request, IReadOnlyList<AuditContribution> contributions, SplitPlan? splitPlan = null)
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
                Row(t, "Inverting Gradients", string.Create(ic, $"{inv.Iterations} iterations × {inv.Restarts} restart(s), Adam lr {NumberText.G3(inv.LearningRate)}, λ_TV {NumberText.G3(inv.TvWeight)}, {f.Batches} victim batch(es)"));
            if (f.Dlg is { } dlg)
                Row(t, "DLG (labels from the gradient)", string.Create(ic, $"{dlg.Evaluations} L-BFGS evaluations × {dlg.Restarts} restart(s)"));
            Row(t, "defences (attacked by Inverting)", string.Join("; ", (f.Defences ?? FederatedAuditOptions.PaperDefences).Select(d => d.Name)));
            if (f.SweepRuns > 0)
                Row(t, "DP-SGD sweep", string.Create(ic, $"added σ rows: {{1, 3}}·10^k with noise ÷ clipped signal ρ = σC√P/‖Σ clip_C(g_m)‖ in [{NumberText.G3(Audits.Federated.DpSgdSweep.RhoLow)}, {NumberText.G3(Audits.Federated.DpSgdSweep.RhoHigh)}) on the audited batches; noise floor = Inverting on the noise alone; a row is at the floor within {NumberText.G3(Audits.Federated.DpSgdSweep.FloorMarginDb)} dB"));
            Row(t, "thresholds", string.Create(ic, $"an attack leaks at mean PSNR ≥ {NumberText.G3(f.LeakPsnr)} dB; a sample is recovered at ≥ {NumberText.G3(Audits.LeakageThresholds.RecoveredPsnr)} dB; seed {f.Seed}"));
        }
        if (Ran(ReportAssembler.ConvolutionalThreat))
        {
            const string t = "Convolutional";
            var r = AuditPipeline.RConvOptions(request);
            Row(t, "reconstructed images", string.Create(ic, $"{r.Images} (single-sample gradients), seed {r.Seed}"));
            Row(t, "tolerances", string.Create(ic, $"rank {NumberText.G3(r.RankTolerance)}, joint solve {NumberText.G3(r.JointTolerance)}, residual limit {NumberText.G3(r.JointResidualLimit)}"));
            Row(t, "threshold", string.Create(ic, $"a reconstruction succeeds at PSNR ≥ {NumberText.G3(Audits.RConv.ConvolutionalVerdict.SuccessPsnr)} dB (peak 1)"));
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
                return string.Create(ic, $"{WhiteBoxHyperparameters.Label(c)} lr {NumberText.G3(s.Lr ?? d.LearningRate)} λ_TV {NumberText.G3(s.Tv ?? d.TvWeight)}");
            });
            Row(t, "white-box (Adam, AMSGrad)", string.Create(ic, $"{s.WhiteBoxIterations(WhiteBoxHyperparameters.Defaults(DepthClass.Conv1).Iterations)} iterations per point; {string.Join("; ", classes)}")
                + (s.Tv is null ? "; a positive λ_TV is retried with λ_TV 0" : ""));
            Row(t, "black-box inverse network, query-free shadow", string.Create(ic, $"at most {s.Steps} Adam steps (early stop on a held-out loss), lr 1e-3, batch {s.TrainingBatch}, at most {s.MaxAuxImages} auxiliary images"));
            if (splitPlan is not null)
            {
                // why: issue 17 item 6: every budget the time plan reduced is stated, per point and attack.
                Row(t, "time plan", splitPlan.Describe());
                foreach (var p in splitPlan.Points)
                    foreach (var a in p.Attacks.Where(a => a.Capped))
                        Row(t, $"capped: {p.Point.ProducerLabel}, {SplitVerdict.AttackName(a.Attack)}", a.Describe()!);
                foreach (var p in splitPlan.Points.Where(p => p.Equivalent.Count > 0))
                    Row(t, $"not attacked again: {string.Join(", ", p.Equivalent.Select(e => e.ProducerLabel))}", $"a reshape of {p.Point.ProducerLabel} ({p.Point.Tensor}): the same information, so it takes that point's verdict");
            }
            Row(t, "thresholds", string.Create(ic, $"unsafe at mean PSNR ≥ {NumberText.G3(s.Thresholds.Psnr)} dB or mean SSIM ≥ {NumberText.G3(s.Thresholds.Ssim)}")
                + (s.Quick ? string.Create(ic, $"; quick: within {NumberText.G3(SplitVerdict.QuickPsnrMargin)} dB / {NumberText.G3(SplitVerdict.QuickSsimMargin)} of them by the 95% upper bound") : ""));
        }
        TableColumn[] cols = [new("threat", ColumnAlignment.Left, 1), new("setting", ColumnAlignment.Left, 1.6), new("value", ColumnAlignment.Left, 4)];
        ReportBlock table = rows.Count == 0
            ? new NoteBlock("No threat was assessed, so no hyper-parameter was used.", NoteKind.Info)
            : new TableBlock(request.Quick ? "Budgets, learning rates, steps, seeds, batch sizes and thresholds used (quick run)" : "Budgets, learning rates, steps, seeds, batch sizes and thresholds used", cols, rows);
        return new ReportSection(SectionId, "Hyper-parameters and budgets", [table]);
    }
}
