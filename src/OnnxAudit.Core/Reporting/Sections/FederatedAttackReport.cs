using OnnxAudit.Common;
using System.Globalization;
using OnnxAudit.Audits;
using OnnxAudit.Audits.Federated;
using OnnxAudit.Imaging;
using OnnxAudit.Reporting.Model;

namespace OnnxAudit.Reporting.Sections;

/// <summary>Renders the federated gradient-inversion audit (analytic vs Inverting vs DLG side by side, image grids, the
/// defence table) and merges it with the neuron-exclusivity contribution into the report's one federated verdict.
/// Computes nothing.</summary>
public static class FederatedAttackReport
{
    /// <summary>Section id.</summary>
    public const string SectionId = "federated-gradient-inversion";

    private static readonly Citation Pan22 = ReportAssembler.BaseCitations.First(c => c.Key == "Pan22");

    private static readonly Citation[] Citations =
    [
        new("Zhu19", "L. Zhu, Z. Liu, S. Han. Deep Leakage from Gradients. NeurIPS 2019."),
        new("Zhao20", "B. Zhao, K. R. Mopuri, H. Bilen. iDLG: Improved Deep Leakage from Gradients. arXiv:2001.02610, 2020."),
        new("Geiping20", "J. Geiping, H. Bauermeister, H. Dröge, M. Moeller. Inverting Gradients — How easy is it to break privacy in federated learning? NeurIPS 2020."),
        new("Wainakh22", "A. Wainakh et al. User-Level Label Leakage from Gradients in Federated Learning. PETS 2022."),
        new("Abadi16", "M. Abadi et al. Deep Learning with Differential Privacy. CCS 2016."),
    ];

    private static IReadOnlyList<string> Method { get; } =
    [
        "Gradient inversion [Pan22 Table 2, Geiping20, Zhu19]: victim batches of the deployment size are drawn at random; the attacker sees the model and " +
        "the batch-averaged gradient of every trainable parameter. Labels are read from the last Linear layer's gradient (iDLG [Zhao20] for M = 1; " +
        "for M > 1 first one label per sample that owns ≥ 2 exclusive ReLU features of the last layer — their weight-gradient columns are " +
        "parallel to p_m − y_m, whose only negative entry is the label — then the bias-gradient label multiset of [Wainakh22] for the rest). Inverting Gradients minimises 1 − cos(∇θL(x'), ∇θL(x)) + α·TV(x') with Adam on the " +
        "sign of the gradient, step decay at 3/8, 5/8 and 7/8 of the iterations and pixels boxed to [0,1]; DLG minimises ‖∇θL(x') − ∇θL(x)‖² with L-BFGS. " +
        "The gradient w.r.t. x' is exact: OnnxAudit differentiates its own gradient graph a second time (double backward in ONNX operators), checked " +
        "against PyTorch's double backward. Reconstructions are matched to the originals by the Hungarian method on MSE; PSNR uses peak 1.",
        "Defences [Pan22 §7.3, Abadi16]: DP-SGD clips every per-sample gradient (batch-1 gradients) to norm C, sums, adds N(0, σ²C²) and divides by M; " +
        "what the attack sees is set by ρ = σC√P / ‖Σ_m clip_C(g_m)‖ (noise norm over the clipped signal, P parameters), so the full run adds to the paper's σ = 0.1/0.5/1.0 " +
        "the σ of the 1–3 series with ρ in [0.3, 30) on the audited batches, and attacks the noise alone (same draw, no signal) to measure the floor a failed attack scores; " +
        "pruning keeps the top-k % magnitudes of every parameter tensor; a larger batch trains the same samples with others; exclusivity reduction removes " +
        "the first head ReLU. Each is attacked with Inverting Gradients on the same batches and budget; cos(g̃, g) says how much of the clean gradient's " +
        "direction the shared update keeps; the cost is the relative distortion ‖g̃ − g‖/‖g‖ of the update (accuracy after fine-tuning is not measured).",
    ];

    /// <summary>The contribution of the gradient-inversion audit alone.</summary>
    public static AuditContribution Build(FederatedAuditResult r)
    {
        ArgumentNullException.ThrowIfNull(r);
        var ic = CultureInfo.InvariantCulture;
        var verdict = FederatedAuditVerdict.Of(r);
        var severity = verdict.Risk.ToSeverity();
        var blocks = new List<ReportBlock>
        {
            new ParagraphBlock(string.Create(ic,
                $"{r.BatchIndices.Count} random victim batch(es) of size M = {r.BatchSize}; labels from the gradient by {LabelMethodName(r.LabelMethod)}: " +
                $"{string.Join("; ", r.TrueLabels.Zip(r.InferredLabels, (t, a) => $"true [{string.Join(",", t)}] → read [{string.Join(",", a)}]"))}.")),
            new FindingBlock(severity, $"Gradient inversion at batch size {r.BatchSize}", verdict.Sentence, r.Recommendation, verdict.Rule),
            new TableBlock("Attacks side by side (cf. Pan et al. Table 2)",
                ["Attack", new TableColumn("Mean PSNR", ColumnAlignment.Right), new TableColumn("Mean SSIM", ColumnAlignment.Right), new TableColumn("Labels", ColumnAlignment.Right),
                 new TableColumn("Budget / note", RelativeWidth: 3)],
                [.. r.Attacks.Select(a => (IReadOnlyList<TableCell>)[a.Attack, Db(a.MeanPsnr), double.IsNaN(a.MeanSsim) ? "n/a" : Fmt.F(a.MeanSsim, 3),
                    double.IsNaN(a.LabelAccuracy) ? "n/a" : Fmt.Pct(a.LabelAccuracy, 0), a.Note is null ? a.Budget : a.Budget + ". " + a.Note])]),
        };
        if (r.SampleDims.Length == 3 && r.SampleDims[0] is 1 or 3 && r.Originals.Count > 0)
        {
            int c = (int)r.SampleDims[0], h = (int)r.SampleDims[1], w = (int)r.SampleDims[2];
            var shown = Math.Min(8, r.BatchSize);
            var rows = new List<ImageGridRow>
            {
                new("original", [.. Enumerable.Range(0, shown).Select(t => Png(r.Originals[0].AsSpan(t * c * h * w, c * h * w).ToArray(), c, h, w, r.TrueLabels[0][t].ToString(ic)))]),
            };
            foreach (var a in r.Attacks.Where(a => a.Reconstructions.Count > 0))
                rows.Add(new ImageGridRow(a.Attack, [.. Enumerable.Range(0, shown).Select(t => a.Reconstructions[0][t] is { } img
                    ? Png(img, c, h, w, Db(a.Scores[0].Psnr[t])) : Png(Enumerable.Repeat(0.5f, c * h * w).ToArray(), c, h, w, "none"))]));
            blocks.Add(new ImageGridBlock("Batch 1: originals and each attack's reconstructions (matched)", [.. r.BatchIndices[0].Take(shown).Select(i => $"#{i}")], rows));
        }
        if (r.Defences.Count > 0)
        {
            var rows = r.Defences.Select(d => (IReadOnlyList<TableCell>)[d.Defence.Name, Db(d.MeanPsnr), double.IsFinite(d.Cosine) ? Fmt.F(d.Cosine, 3) : "n/a",
                Rho(d.NoiseToSignal), Fmt.Pct(d.LabelAccuracy, 0), Fmt.F(d.Distortion, 3), d.Leaks ? "succeeds" : "fails"]).ToList();
            if (double.IsFinite(r.NoiseFloorPsnr))
                rows.Add(["DP-SGD noise alone (floor)", Db(r.NoiseFloorPsnr), "n/a", "∞", Fmt.Pct(r.NoiseFloorLabelAccuracy, 0), "n/a", "no signal"]);
            blocks.Add(new TableBlock("Defences, attacked by Inverting Gradients on the same batches",
                ["Defence", new TableColumn("Inverting PSNR", ColumnAlignment.Right), new TableColumn("cos(g̃, g)", ColumnAlignment.Right),
                 new TableColumn("Noise ÷ signal ρ", ColumnAlignment.Right), new TableColumn("Labels", ColumnAlignment.Right),
                 new TableColumn("Update distortion", ColumnAlignment.Right), "Attack"], rows));
            if (DpSgdChart(r) is { } chart) blocks.AddRange(chart);
        }
        if (r.DpSgdSweepNote is { } sn) blocks.Add(new NoteBlock("DP-SGD sweep: " + sn + "."));
        if (r.DefenceNote is { } dn) blocks.Add(new NoteBlock("Defences: " + dn + "."));
        if (r.HeadExclusivity is { } hx)
            blocks.Add(new KeyValueBlock(
                [
                    new("Rule", hx.Rule),
                    new("Exclusive features per sample", string.Join("; ", hx.ExclusiveCounts.Select(cnt => "[" + string.Join(", ", cnt) + "]")) + string.Create(ic, $" of F = {hx.Width}")),
                    new("Insecure batches (every sample ≥ 2 exclusive features)", string.Create(ic, $"{hx.InsecureBatches} / {hx.ExclusiveCounts.Count}")),
                ], "Exclusivity of the single-Linear head's input features"));
        var section = new ReportSection(SectionId, ReportAssembler.FederatedThreat + ": gradient inversion", blocks);
        var actions = severity is Severity.High or Severity.Medium ? new[] { r.Recommendation } : [];
        return new AuditContribution(new ThreatVerdict(ReportAssembler.FederatedThreat, severity, verdict.Sentence, actions, SectionId), [section], Method, [Pan22, .. Citations]);
    }

    /// <summary>One federated contribution from the exclusivity part (null when not applicable) and the inversion part:
    /// the higher severity decides the verdict, the sections of both are kept.</summary>
    public static AuditContribution Combine(AuditContribution? exclusivity, AuditContribution inversion)
    {
        ArgumentNullException.ThrowIfNull(inversion);
        if (exclusivity is null || exclusivity.Verdict.Severity == Severity.NotAssessed) return inversion;
        var first = Rank(inversion.Verdict.Severity) > Rank(exclusivity.Verdict.Severity) ? inversion : exclusivity;
        var other = ReferenceEquals(first, inversion) ? exclusivity : inversion;
        var verdict = first.Verdict with
        {
            Evidence = first.Verdict.Evidence + " " + other.Verdict.Evidence,
            Actions = [.. first.Verdict.Actions, .. other.Verdict.Actions.Where(a => !first.Verdict.Actions.Contains(a))],
        };
        return new AuditContribution(verdict, [.. exclusivity.Sections, .. inversion.Sections], [.. exclusivity.Method, .. inversion.Method],
            [.. exclusivity.Citations, .. inversion.Citations.Where(c => exclusivity.Citations.All(e => e.Key != c.Key))]);
    }

    private static string Rho(double rho) => double.IsNaN(rho) ? "n/a" : double.IsPositiveInfinity(rho) ? "∞" : rho < 100 ? Fmt.F(rho, rho < 10 ? 2 : 1) : string.Format(CultureInfo.InvariantCulture, "{0:0.#E+0}", rho);

    /// <summary>The DP-SGD rows as PSNR over σ (log axis) with the noise floor and the undefended attack as lines, and the sentence saying where the floor is reached; null with fewer than 2 DP-SGD rows or no floor.</summary>
    private static ReportBlock[]? DpSgdChart(FederatedAuditResult r)
    {
        var ic = CultureInfo.InvariantCulture;
        var dp = r.Defences.Where(d => d.Defence is DpSgdDefence { Sigma: > 0 } && double.IsFinite(d.MeanPsnr))
            .Select(d => (Dp: (DpSgdDefence)d.Defence, d.MeanPsnr, d.NoiseToSignal)).OrderBy(t => t.Dp.Sigma).ToList();
        if (dp.Count < 2 || !double.IsFinite(r.NoiseFloorPsnr)) return null;
        var clean = r.Attacks.FirstOrDefault(a => a.Attack == "Inverting Gradients")?.MeanPsnr ?? double.NaN;
        var lines = new List<ThresholdLine> { new(r.NoiseFloorPsnr, string.Create(ic, $"noise floor {r.NoiseFloorPsnr:F1} dB")) };
        if (double.IsFinite(clean)) lines.Add(new ThresholdLine(clean, string.Create(ic, $"no defence {clean:F1} dB"), Severity.Medium));
        var chart = new ChartBlock(string.Create(ic, $"DP-SGD (C = {NumberText.G3(dp[0].Dp.Clip)}): Inverting PSNR over the noise multiplier σ"), ChartKind.Line,
            "σ (log scale)", "mean PSNR (dB)", [new ChartSeries("Inverting Gradients on the DP-SGD update", [.. dp.Select(t => new ChartPoint(t.Dp.Sigma, t.MeanPsnr))])], lines, LogX: true);
        var at = DpSgdSweep.FloorReachedAt([.. dp.Select(t => (t.Dp.Sigma, t.MeanPsnr))], r.NoiseFloorPsnr);
        string where;
        if (at is { } sigma)
        {
            var row = dp.First(t => t.Dp.Sigma == sigma);
            var below = dp.Where(t => t.Dp.Sigma <= sigma).ToList();
            var falls = below.Zip(below.Skip(1), (a, b) => b.MeanPsnr < a.MeanPsnr).All(x => x);
            where = string.Create(ic, $"from σ = {NumberText.G3(sigma)} (ρ ≈ {Rho(row.NoiseToSignal)}) on, every DP-SGD row is within {NumberText.G3(DpSgdSweep.FloorMarginDb)} dB of that floor: the noise drowns the gradient and a larger σ cannot lower the PSNR further")
                + (below.Count > 1 ? string.Create(ic, $"; up to it the PSNR {(falls ? "falls at every step" : "does not fall at every step")}, from {below[0].MeanPsnr:F1} dB at σ = {NumberText.G3(below[0].Dp.Sigma)} (ρ ≈ {Rho(below[0].NoiseToSignal)}) to {row.MeanPsnr:F1} dB") : "");
        }
        else where = string.Create(ic, $"no evaluated σ brings the attack within {NumberText.G3(DpSgdSweep.FloorMarginDb)} dB of it (the largest σ = {NumberText.G3(dp[^1].Dp.Sigma)} scores {dp[^1].MeanPsnr:F1} dB)");
        var added = r.DpSgdSweepNote is null
            ? string.Create(ic, $"; σ values of the 1–3 series with ρ in [{NumberText.G3(DpSgdSweep.RhoLow)}, {NumberText.G3(DpSgdSweep.RhoHigh)}) on these batches were added to the paper's. ")
            : ". ";
        var text = "DP-SGD sweep: what the attack sees is set by ρ = σC√P / ‖Σ_m clip_C(g_m)‖, the noise norm over the clipped gradient sum (cos(g̃, g) ≈ 1/√(1 + ρ²)), not by σ alone" +
            added + string.Create(ic, $"With the noise alone as its target the attack scores {r.NoiseFloorPsnr:F1} dB (the floor); {where}.");
        return [chart, new ParagraphBlock(text)];
    }

    private static string LabelMethodName(LabelMethod m) => m switch
    {
        LabelMethod.Idlg => "iDLG",
        LabelMethod.ExclusiveColumnsThenMultiset => "exclusive weight-gradient columns, then the bias-gradient multiset (Wainakh et al.)",
        _ => "the bias-gradient multiset (Wainakh et al.)",
    };

    private static int Rank(Severity s) => s == Severity.NotAssessed ? -1 : (int)s;

    private static string Db(double v) => double.IsFinite(v) ? Fmt.F(v, 1) + " dB" : "n/a";

    private static ReportImage Png(float[] img, int c, int h, int w, string caption)
    {
        var p = ImageGrid.Compose([[img]], c, h, w, scale: h < 48 ? 2 : 1, padding: 0);
        return new ReportImage(PngWriter.Encode(p.Pixels, p.Width, p.Height, p.Channels), caption);
    }
}
