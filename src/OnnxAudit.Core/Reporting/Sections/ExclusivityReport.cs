using System.Globalization;
using OnnxAudit.Audits.Exclusivity;
using OnnxAudit.Audits;
using OnnxAudit.Audits.GradientAttack;
using OnnxAudit.Imaging;
using OnnxAudit.Reporting.Model;

namespace OnnxAudit.Reporting.Sections;

/// <summary>Renders the exclusivity audit as the report's "Federated gradient leakage" contribution. Computes nothing but the verdict rule.</summary>
public static class ExclusivityReport
{
    /// <summary>Section id.</summary>
    public const string SectionId = "federated-gradient-leakage";

    /// <summary>The verdict rule, as written in the finding (<see cref="ExclusivityVerdict.Rule"/>).</summary>
    public const string Rule = ExclusivityVerdict.Rule;

    private static readonly Citation Pan22 = ReportAssembler.BaseCitations.First(c => c.Key == "Pan22");

    private static IReadOnlyList<string> Method { get; } =
    [
        "Federated gradient leakage [Pan22]: one forward pass over the sample data records, for every ReLU layer of the fully-connected classifier head, " +
        "which neurons each sample activates (bit-packed masks). Batches of the deployment size M are drawn without replacement; a neuron is exclusively " +
        "activated (ExAN) when exactly one sample of the batch activates it. A batch is insecure when every sample has at least two ExANs at the last head " +
        "ReLU layer and at least one at every other head ReLU layer (Pan et al. Theorem 1), secure when no sample has an ExAN at the first head ReLU layer " +
        "and M exceeds that layer's width d_1 (Theorem 2), and undetermined otherwise. Proportions carry 95% Wilson intervals.",
        "The attack simulation computes the victim's batch-averaged gradient with OnnxAudit's gradient graphs and attacks it with the model weights only: " +
        "Algorithm B.1 groups columns of the last weight gradient by direction (groups that are non-negative mixtures of other groups are shared neurons " +
        "and are dropped), B.2 reads each label from the sign of its loss vector, the last bias gradient fixes the loss-vector scales, B.3 recovers the " +
        "activation patterns layer by layer, and each input is the ratio of an exclusive first-layer weight-gradient row to its bias gradient. Recovered " +
        "samples are matched to the originals by the Hungarian method on MSE; PSNR uses peak 1 on data in [0,1].",
        "For CNN classifiers f = g∘Φ the attack is hybrid (Pan et al. §5): stage 1 is the analytic attack above on the head g and recovers each " +
        "sample's head input Φ̂_m; stage 2 finds each image by feature matching, min_x mean((Φ(x) − Φ̂_m)²) + λ_TV·TV(x) with TV the sum of squared " +
        "neighbour differences, by Adam on the pixels from a constant mid-gray start, clamped to [0,1], with gradients w.r.t. the input from OnnxAudit's " +
        "gradient graphs. Samples are matched on the head input; PSNR and SSIM compare the stage-2 images with the originals.",
        "Hardening (exclusivity reduction, Pan et al. Corollary 1) removes the first ReLU of the head; every batch with M > d_1 then lies in the secure boundary.",
    ];

    /// <summary>The contribution for <paramref name="result"/> (not applicable → a NotAssessed verdict with the reason).</summary>
    public static AuditContribution Build(ExclusivityAuditResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        if (result.NotApplicableReason is { } reason || result.Statistics is null)
            return NotApplicable(result.NotApplicableReason ?? "the exclusivity statistics were not computed.");
        return Build(result.Statistics, result.Attack, result.Hardening, result.SmallerBatchAttack, result.Notes);
    }

    /// <summary>The contribution when the analysis does not apply: verdict NotAssessed with <paramref name="reason"/> and a one-note section.</summary>
    public static AuditContribution NotApplicable(string reason)
    {
        var text = char.ToUpperInvariant(reason[0]) + reason[1..];
        var section = new ReportSection(SectionId, ReportAssembler.FederatedThreat, [new NoteBlock("Not assessed: " + text)]);
        return new AuditContribution(new ThreatVerdict(ReportAssembler.FederatedThreat, Severity.NotAssessed, "Not assessed: " + text, [], SectionId),
            [section], [], []);
    }

    /// <summary>The verdict by <see cref="Rule"/>.</summary>
    public static Severity Verdict(ExclusivityResult stats, AttackSimulationResult? attack) => ExclusivityVerdict.RiskOf(stats, attack).ToSeverity();

    /// <summary>Builds the contribution.</summary>
    /// <param name="stats">The statistics (the deployment batch size is <c>stats.Main.BatchSize</c>).</param>
    /// <param name="attack">Attack at the deployment batch size, or null.</param>
    /// <param name="hardening">Hardening check, or null.</param>
    /// <param name="smallerBatchAttack">Attack on insecure batches of a smaller size, or null.</param>
    /// <param name="notes">Notes (what was skipped).</param>
    public static AuditContribution Build(ExclusivityResult stats, AttackSimulationResult? attack, HardeningResult? hardening,
        AttackSimulationResult? smallerBatchAttack = null, IReadOnlyList<string>? notes = null)
    {
        ArgumentNullException.ThrowIfNull(stats);
        var ic = CultureInfo.InvariantCulture;
        var m = stats.Main.BatchSize;
        var verdict = ExclusivityVerdict.Of(stats, attack);
        var severity = verdict.Risk.ToSeverity();
        var blocks = new List<ReportBlock>();
        var layerText = string.Join(", ", stats.Layers.Select(l => $"i = {l.Index}: {l.OutputName} (d = {l.Width})"));
        blocks.Add(new ParagraphBlock(string.Create(ic,
            $"Head ReLU layers counted: {layerText}. {stats.Main.Insecure.Total} batches of size M = {m} were drawn from {stats.Samples} samples (seed {stats.Seed}).")));

        var evidence = verdict.Sentence;
        var safe = stats.Sweep.Where(p => p.Insecure.High < 0.01).Select(p => (int?)p.BatchSize).FirstOrDefault();
        var recommendation = (safe is { } s
            ? string.Create(ic, $"train with batch size ≥ {s} (the smallest sweep size whose insecure proportion has a 95% upper bound below 1%)")
            : "no sweep batch size brings the insecure proportion's upper bound below 1%")
            + (stats.LargestInsecureBatchSize is { } li ? string.Create(ic, $"; batches of size ≤ {li} are insecure in ≥ 5% of cases") : "")
            + string.Create(ic, $"; or apply exclusivity reduction (`onnx-audit harden MODEL --exclusivity-reduction -o OUT.onnx`), after which every batch larger than d_1 = {stats.Layers[0].Width} is secure, then fine-tune the hardened model.");
        blocks.Add(new FindingBlock(severity, $"Neuron exclusivity at batch size {m}", evidence, recommendation, Rule));

        blocks.Add(new TableBlock($"Exclusivity states of {stats.Main.Insecure.Total} random batches of size {m} (95% Wilson intervals)",
            ["State", new TableColumn("Batches", ColumnAlignment.Right), new TableColumn("Proportion", ColumnAlignment.Right), new TableColumn("95% interval", ColumnAlignment.Right)],
            [
                Row("insecure (sufficient exclusivity)", stats.Main.Insecure),
                Row("secure (lack of exclusivity)", stats.Main.Secure),
                Row("undetermined", stats.Main.Undetermined),
                .. stats.SameClass is { } sc ? new[] { Row($"insecure, same-class batches (Fig. 10(d))", sc.Insecure) } : [],
            ]));
        blocks.Add(new TableBlock($"ExANs per sample and layer (N_i^m) in batches of size {m}",
            [new TableColumn("Layer i", ColumnAlignment.Right), new TableColumn("d_i", ColumnAlignment.Right), new TableColumn("Mean", ColumnAlignment.Right),
             new TableColumn("Q1 / median / Q3", ColumnAlignment.Right), new TableColumn("0", ColumnAlignment.Right), new TableColumn("1", ColumnAlignment.Right),
             new TableColumn("≥ 2", ColumnAlignment.Right), new TableColumn("Active", ColumnAlignment.Right)],
            [.. stats.Main.Layers.Select(l => (IReadOnlyList<TableCell>)[l.Layer.ToString(ic), l.Width.ToString(ic), Fmt.F(l.Mean), $"{l.Q1} / {l.Median} / {l.Q3}",
                Fmt.Pct(l.ShareZero), Fmt.Pct(l.ShareOne), Fmt.Pct(l.ShareTwoOrMore), Fmt.Pct(l.MeanActiveFraction)])]) { PdfMaxRows = TableBlock.PerLayerPdfRows });

        if (stats.Sweep.Count > 0)
        {
            ChartSeries Series(string name, Func<BatchStatistics, ProportionEstimate> f) =>
                new(name, [.. stats.Sweep.Select(p => new ChartPoint(p.BatchSize, f(p).Proportion))]);
            blocks.Add(new ChartBlock("Exclusivity states vs batch size", ChartKind.Line, "batch size M", "proportion of batches",
                [Series("insecure", p => p.Insecure), Series("secure", p => p.Secure), Series("undetermined", p => p.Undetermined)],
                [new ThresholdLine(stats.InsecureThreshold, "5% insecure", Severity.High)], LogX: true, YMin: 0, YMax: 1));
            blocks.Add(new ParagraphBlock(stats.LargestInsecureBatchSize is { } l
                ? string.Create(ic, $"Largest sweep batch size with ≥ 5% insecure batches: M = {l}. Sweep batches are nested prefixes of one draw, so the insecure proportion cannot increase with M.")
                : "No sweep batch size reaches 5% insecure batches."));
        }

        foreach (var n in notes ?? []) blocks.Add(new NoteBlock(n));
        if (attack is not null) AddAttack(blocks, attack, $"Attack simulation at M = {m}", 2);
        if (smallerBatchAttack is not null) AddAttack(blocks, smallerBatchAttack, $"Attack simulation on insecure batches of size {smallerBatchAttack.Batches.FirstOrDefault()?.TrueBatchSize}", 1);
        if (hardening is not null) AddHardening(blocks, hardening);

        var section = new ReportSection(SectionId, ReportAssembler.FederatedThreat, blocks);
        var actions = severity is Severity.High or Severity.Medium ? new[] { recommendation } : [];
        return new AuditContribution(new ThreatVerdict(ReportAssembler.FederatedThreat, severity, evidence, actions, SectionId), [section], Method, [Pan22]);
    }

    private static IReadOnlyList<TableCell> Row(string state, ProportionEstimate p) =>
        [state, new TableCell(p.Count.ToString(CultureInfo.InvariantCulture)) { Value = p.Count },
            new TableCell(Fmt.Pct(p.Proportion)) { Value = p.Proportion, Lower = p.Low, Upper = p.High }, $"{Fmt.Pct(p.Low)} – {Fmt.Pct(p.High)}"];

    private static void AddAttack(List<ReportBlock> blocks, AttackSimulationResult attack, string title, int grids)
    {
        var ic = CultureInfo.InvariantCulture;
        blocks.Add(new ParagraphBlock($"{title} ({attack.Stage}). Insecure batches: {Summary(attack.Insecure)}. Random batches: {Summary(attack.Random)}."));
        blocks.Add(new TableBlock(title,
            [new TableColumn("Batch", ColumnAlignment.Right), "State", new TableColumn("M inferred / true", ColumnAlignment.Right), new TableColumn("Labels", ColumnAlignment.Right),
             new TableColumn("Mean PSNR", ColumnAlignment.Right), new TableColumn("Mean SSIM", ColumnAlignment.Right), new TableColumn("What failed", RelativeWidth: 3)],
            [.. attack.Batches.Select((b, i) => (IReadOnlyList<TableCell>)[(i + 1).ToString(ic), b.State.ToString().ToLowerInvariant(),
                $"{b.InferredBatchSize} / {b.TrueBatchSize}", Fmt.Pct(b.LabelAccuracy, 0), double.IsNaN(b.MeanPsnr) ? "n/a" : Fmt.F(b.MeanPsnr, 1) + " dB",
                double.IsNaN(b.MeanSsim) ? "n/a" : Fmt.F(b.MeanSsim, 4), b.Explanation ?? (b.Recovered == b.TrueBatchSize ? "nothing" : $"{b.TrueBatchSize - b.Recovered} inputs not recovered")])]));
        if (!attack.HeadIsWholeModel && attack.Batches.All(b => b.Samples.All(s => double.IsNaN(s.Psnr)))) return;
        if (attack.SampleDims.Length != 3 || attack.SampleDims[0] is not (1 or 3)) return;
        var shown = attack.Batches.Where(b => b.State == ExclusivityState.Insecure).Take(grids)
            .Concat(attack.Batches.Where(b => b.State != ExclusivityState.Insecure).Take(1)).ToList();
        foreach (var b in shown)
            blocks.Add(Grid(b, attack, $"{title}: batch {attack.Batches.ToList().IndexOf(b) + 1} ({b.State.ToString().ToLowerInvariant()}), originals and reconstructions"));
    }

    /// <summary>An image grid: row "original", row "reconstructed" (gray where nothing was recovered).</summary>
    internal static ImageGridBlock Grid(BatchAttackOutcome b, AttackSimulationResult attack, string caption)
    {
        int c = (int)attack.SampleDims[0], h = (int)attack.SampleDims[1], w = (int)attack.SampleDims[2];
        var originals = b.Samples.Select(s => Png(s.Original ?? new float[c * h * w], c, h, w, s.TrueLabel.ToString(CultureInfo.InvariantCulture))).ToList();
        var recs = b.Samples.Select(s => Png(s.ImageReconstruction ?? Gray(c * h * w), c, h, w,
            s.ImageReconstruction is null ? "not recovered" : $"{s.RecoveredLabel}, {Fmt.Db(Math.Min(150, s.Psnr))}")).ToList();
        return new ImageGridBlock(caption, [.. b.Samples.Select(s => $"#{s.DatasetIndex}")], [new ImageGridRow("original", originals), new ImageGridRow("reconstructed", recs)]);
    }

    private static float[] Gray(int n) => Enumerable.Repeat(0.5f, n).ToArray();

    private static ReportImage Png(float[] img, int c, int h, int w, string caption)
    {
        var p = ImageGrid.Compose([[img]], c, h, w, scale: 2, padding: 0);
        return new ReportImage(PngWriter.Encode(p.Pixels, p.Width, p.Height, p.Channels), caption);
    }

    private static string Summary(AttackSummary s) => s.Batches == 0 ? "none" :
        string.Create(CultureInfo.InvariantCulture, $"{s.Batches} batches, batch size exact in {s.BatchSizeExact}, label accuracy {Fmt.Pct(s.LabelAccuracy)}, {Fmt.Pct(s.RecoveredShare)} of inputs recovered") +
        (double.IsNaN(s.MeanPsnr) ? "" : $", mean PSNR {Fmt.F(s.MeanPsnr, 1)} dB (capped at 150)");

    private static void AddHardening(List<ReportBlock> blocks, HardeningResult h)
    {
        var ic = CultureInfo.InvariantCulture;
        var items = new List<KeyValue>
        {
            new($"Secure batches of size {h.Statistics.BatchSize} (> d_1 = {h.FirstLayerWidth})", $"{h.Statistics.Secure.Count} / {h.Statistics.Secure.Total} ({Fmt.Pct(h.Statistics.Secure.Proportion)})"),
        };
        if (h.Attack is { } a)
        {
            var rec = a.Batches.SelectMany(b => b.Samples).Where(s => s.Psnr >= LeakageThresholds.RecoveredPsnr).Count();
            var all = a.Batches.Sum(b => b.TrueBatchSize);
            items.Add(new($"Attack on {a.Batches.Count} random batches of size {a.Batches.FirstOrDefault()?.TrueBatchSize}",
                string.Create(ic, $"{rec} of {all} samples recovered at PSNR ≥ 30 dB; inferred batch sizes {string.Join(", ", a.Batches.Select(b => b.InferredBatchSize))}") +
                (double.IsNaN(a.Random.MeanPsnr) ? "" : string.Create(ic, $"; mean PSNR of matched outputs {Fmt.F(a.Random.MeanPsnr, 1)} dB"))));
        }
        if (h.AccuracyBefore is { } b0 && h.AccuracyAfter is { } b1)
            items.Add(new("Accuracy before → after (no retraining)", $"{Fmt.Pct(b0, 2)} → {Fmt.Pct(b1, 2)} ({(b1 - b0 >= 0 ? "+" : "−")}{Fmt.F(Math.Abs(100 * (b1 - b0)), 2)} points)"));
        blocks.Add(new KeyValueBlock(items, "Exclusivity reduction check (first head ReLU removed)"));
    }
}
