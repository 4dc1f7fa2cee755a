using System.Globalization;
using OnnxAudit.Audits.SplitInversion;
using OnnxAudit.Imaging;
using OnnxAudit.Reporting.Model;

namespace OnnxAudit.Reporting.Sections;

/// <summary>Turns a <see cref="SplitInversionResult"/> into the report's split-inference contribution. Renders only;
/// computes nothing new. Stateless and thread-safe.</summary>
public static class SplitInversionReport
{
    /// <summary>The main section id.</summary>
    public const string SectionId = "split-inversion";

    /// <summary>The image section id.</summary>
    public const string ImagesSectionId = "split-inversion-images";

    /// <summary>Builds the contribution: verdict, a results section (table, PSNR and SSIM charts against depth, finding)
    /// and an image section (originals vs reconstructions per split point), method paragraphs and the He19 citation.</summary>
    public static AuditContribution Build(SplitInversionResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var t = result.Thresholds;
        var blocks = new List<ReportBlock>
        {
            new ParagraphBlock(string.Create(CultureInfo.InvariantCulture,
                $"{result.Points.Count} split point(s) attacked with {string.Join(", ", AttacksRun(result).Select(Name))} on {result.TargetIndices.Count} target image(s) from {result.DataSource} " +
                $"(seed {result.Seed}{(result.Quick ? $", quick settings: at most {SplitAuditOptions.QuickMaxPoints} split points spread over depth, {SplitAuditOptions.QuickIterations} white-box iterations, at most {SplitAuditOptions.QuickTrainingSteps} training steps with early stopping on a held-out loss" : "")}); auxiliary data: {result.AuxSource} ({result.AuxImages} images). " +
                $"Rule: {result.VerdictRule}.") + (result.Plan is { } plan ? " The " + plan.Describe() + "." : "")),
            Table(result),
        };
        if (SplitVerdict.SubsetCaveat(result) is { } caveat) blocks.Insert(1, new NoteBlock(caveat, NoteKind.Warning));
        // why: a chart of one split point is one dot on a meaningless axis (issue 13); the table says it all.
        if (result.Points.Count >= 2)
        {
            blocks.Add(Chart(result, "PSNR against split depth", "mean PSNR (dB)", o => o.MeanPsnr.Estimate, new ThresholdLine(t.Psnr, string.Create(CultureInfo.InvariantCulture, $"unsafe ≥ {t.Psnr} dB"), Severity.High)));
            blocks.Add(Chart(result, "SSIM against split depth", "mean SSIM", o => o.MeanSsim.Estimate, new ThresholdLine(t.Ssim, string.Create(CultureInfo.InvariantCulture, $"unsafe ≥ {t.Ssim}"), Severity.High)));
        }
        if (SettingsTable(result) is { } settings) blocks.Add(settings);
        blocks.Add(Finding(result));
        var sections = new List<ReportSection>
        {
            new(SectionId, "Split-inference inversion", blocks),
            new(ImagesSectionId, "Split-inference inversion: reconstructions", Grids(result)),
        };
        return new AuditContribution(Verdict(result), sections, Method(result), [ReportAssembler.BaseCitations.First(c => c.Key == "He19")]);
    }

    private static IEnumerable<SplitAttack> AttacksRun(SplitInversionResult r) => r.Points.SelectMany(p => p.Attacks).Select(a => a.Attack).Distinct();

    internal static string Name(SplitAttack a) => SplitVerdict.AttackName(a);

    private static string Worst(SplitPointResult p) => SplitVerdict.Strongest(p);

    private static ThreatVerdict Verdict(SplitInversionResult r)
    {
        var verdict = r.Verdict;
        var unsafePoints = r.Points.Where(p => p.Unsafe).ToList();
        var actions = new List<string>();
        if (r.Quick) actions.Add("Run the full audit (without --quick) before deciding where to split: a quick run cannot recommend a split point.");
        else if (r.Recommended is { } p) actions.Add($"Split at {p.ProducerLabel} ({p.Tensor}) or later ({SplitInversionResult.RecommendationRule}){OnlyAgainst(r)}.");
        else if (unsafePoints.Count == r.Points.Count) actions.Add("Do not run a prefix of this model on a trusted device and send its output to an untrusted party: every audited split point can be inverted.");
        else if (unsafePoints.Count > 0) actions.Add("Do not split at the audited points: every safe one is followed by an unsafe one, so the safe measurement under-estimates the attacks; audit later split points or keep the whole model on the trusted device.");
        if (unsafePoints.Count > 0) actions.Add("Add noise or dropout to the sent tensor, or move more layers onto the trusted device, and audit again.");
        return new ThreatVerdict(ReportAssembler.SplitThreat, verdict.Risk.ToSeverity(), verdict.Sentence, actions, SectionId);
    }

    /// <summary>", judged against the black-box attack only" when a subset of the attacks ran, else "".</summary>
    internal static string OnlyAgainst(SplitInversionResult r) => SplitVerdict.SubsetCaveat(r) is null ? ""
        : $", judged against the {string.Join(" and ", SplitVerdict.Requested(r).Select(Name))} attack{(SplitVerdict.Requested(r).Count > 1 ? "s" : "")} only";

    private static TableBlock Table(SplitInversionResult r)
    {
        TableColumn[] cols =
        [
            new("#", ColumnAlignment.Right, 0.4), new("split point", ColumnAlignment.Left, 2), new("shape", ColumnAlignment.Left, 1.1),
            new("class", ColumnAlignment.Left, 0.7), new("attack", ColumnAlignment.Left, 1), new("PSNR (95% CI)", ColumnAlignment.Right, 1.7),
            new("SSIM (95% CI)", ColumnAlignment.Right, 1.7), new("verdict", ColumnAlignment.Left, 0.8),
        ];
        var rows = new List<IReadOnlyList<TableCell>>();
        foreach (var p in r.Points)
        {
            foreach (var a in p.Attacks)
            {
                TableCell verdict = !a.Ran ? new TableCell("skipped", Severity.NotAssessed)
                    : a.Unsafe ? new TableCell("unsafe", Severity.High)
                    // why: issue 17 item 5: "safe" only with the attack budget stated beside it.
                    : new TableCell(a.Budget is { } budget ? $"safe ({budget})" : "safe", Severity.None);
                rows.Add(
                [
                    p.Depth.ToString(CultureInfo.InvariantCulture), PointName(p), Fmt.Shape(p.Point.Shape.Skip(1)),
                    WhiteBoxHyperparameters.Label(p.Class), Name(a.Attack),
                    a.Ran ? new TableCell($"{Fmt.F(a.MeanPsnr.Estimate)} ({Fmt.F(a.MeanPsnr.Lower)}–{Fmt.F(a.MeanPsnr.Upper)})")
                        { Value = a.MeanPsnr.Estimate, Lower = a.MeanPsnr.Lower, Upper = a.MeanPsnr.Upper, Unit = "dB" } : a.Note ?? "",
                    a.Ran ? new TableCell($"{Fmt.F(a.MeanSsim.Estimate, 3)} ({Fmt.F(a.MeanSsim.Lower, 3)}–{Fmt.F(a.MeanSsim.Upper, 3)})")
                        { Value = a.MeanSsim.Estimate, Lower = a.MeanSsim.Lower, Upper = a.MeanSsim.Upper } : "",
                    verdict,
                ]);
            }
        }
        return new TableBlock("Reconstruction quality per split point and attack (mean over the target images, 95% t interval)", cols, rows) { PdfMaxRows = 30 };
    }

    /// <summary>"avgpool (t)", plus "; also stands for Flatten (t2), a reshape of it" when later points were merged into it.</summary>
    // why: issue 17 item 6: a reshape of an attacked point is not attacked again; it is reported with the point it reshapes.
    internal static string PointName(SplitPointResult p) => $"{p.Point.ProducerLabel} ({p.Point.Tensor})"
        + (p.Equivalent.Count == 0 ? "" : $"; also stands for {string.Join(", ", p.Equivalent.Select(e => $"{e.ProducerLabel} ({e.Tensor})"))}, a reshape of it (same verdict)");

    // why: issue 13: these settings were one paragraph of up to 40 entries in the methodology (a wall of text).
    private static TableBlock? SettingsTable(SplitInversionResult r)
    {
        var rows = r.Points.SelectMany(p => p.Attacks.Where(a => a.Ran && a.Settings is not null)
            .Select(a => (IReadOnlyList<TableCell>)[p.Point.ProducerLabel, Name(a.Attack), a.Settings!])).ToList();
        return rows.Count == 0 ? null : new TableBlock("Attack settings per split point",
            [new("split point", ColumnAlignment.Left, 1.2), new("attack", ColumnAlignment.Left, 0.8), new("settings", ColumnAlignment.Left, 5)], rows) { PdfMaxRows = TableBlock.PerLayerPdfRows };
    }

    private static ChartBlock Chart(SplitInversionResult r, string title, string yTitle, Func<AttackOutcome, double> value, ThresholdLine threshold)
    {
        var series = AttacksRun(r).Select(attack => new ChartSeries(Name(attack),
            r.Points.SelectMany(p => p.Attacks.Where(a => a.Attack == attack && a.Ran && double.IsFinite(value(a)))
                .Select(a => new ChartPoint(p.Depth, value(a), p.Point.ProducerLabel))).ToList())).Where(s => s.Points.Count > 0).ToList();
        if (series.Count == 0) series.Add(new ChartSeries("no attack ran", [new ChartPoint(1, 0)]));
        return new ChartBlock(title, ChartKind.Line, "split depth (position of the split point)", yTitle, series, [threshold]);
    }

    private static FindingBlock Finding(SplitInversionResult r)
    {
        var unsafePoints = r.Points.Where(p => p.Unsafe).ToList();
        var severity = r.Verdict.Risk.ToSeverity();
        var title = r.Quick ? "Quick run (provisional): split points within reach of the inversion attacks"
            : unsafePoints.Count == 0 ? "No audited split point could be inverted"
            : r.Recommended is { } rec ? $"Splitting before {rec.ProducerLabel} leaks the input"
            : "Every audited split point leaks the input";
        var evidence = string.Join("; ", r.Points.Select(p => $"{p.Point.ProducerLabel}: {Worst(p)} → {(p.Unsafe ? "unsafe" : r.Quick && SplitVerdict.QuickUnsafe(p, r.Thresholds) ? "within the quick margin" : r.Quick ? "not shown unsafe (quick)" : "safe")}"));
        var recommendation = r.Quick ? "Run the full audit before choosing a split point: the quick budget under-trains the attacks."
            : r.Recommended is { } best
            ? $"Split at {best.ProducerLabel} ({best.Tensor}) or later{OnlyAgainst(r)}."
            : unsafePoints.Count == 0 ? "The audited split points resisted these attacks; stronger attackers may still succeed." : "Keep the whole model on the trusted device, or protect the sent tensor (noise, dropout) and audit again.";
        return new FindingBlock(severity, title, evidence, recommendation, r.Verdict.Rule + ".");
    }

    private static List<ReportBlock> Grids(SplitInversionResult r)
    {
        var (c, h, w) = r.ImageShape;
        var columns = r.TargetIndices.Select(i => "#" + i.ToString(CultureInfo.InvariantCulture)).ToList();
        ReportImage Png(ReadOnlyMemory<float> img) =>
            new(Encode(ImageGrid.Compose([[img.ToArray()]], c, h, w, scale: 2, padding: 0)));
        var originals = new ImageGridRow("original", r.Originals.Select(Png).ToList());
        var blocks = new List<ReportBlock>();
        foreach (var p in r.Points)
        {
            var rows = new List<ImageGridRow> { originals };
            foreach (var a in p.Attacks.Where(a => a.Ran))
                rows.Add(new ImageGridRow($"{Name(a.Attack)} ({Fmt.F(a.MeanPsnr.Estimate, 1)} dB)", a.Reconstructions.Select(Png).ToList()));
            blocks.Add(new ImageGridBlock($"Split at {p.Point.ProducerLabel} ({p.Point.Tensor}): originals and reconstructions", columns, rows));
        }
        return blocks;
    }

    private static byte[] Encode(PngImage img) => PngWriter.Encode(img.Pixels, img.Width, img.Height, img.Channels);

    private static List<string> Method(SplitInversionResult r)
    {
        return
        [
            "Split-point inversion follows He, Zhang and Lee [He19]. A split point is a tensor through which every path from the input to the output passes; " +
            "the prefix f1 (input → tensor) runs on the trusted device and the suffix f2 on the untrusted party, which sees f1(x0). OnnxAudit cuts the ONNX graph " +
            "into f1 and f2 (checked: f2(f1(x)) equals the full model) and runs three attacks on a few target images.",
            "White-box (regularised maximum likelihood): x* = argmin mean((f1(x) − f1(x0))²) + λ_TV·TV(x), TV normalised per element as in the authors' code, " +
            "starting from a constant 0.5 image, Adam with AMSGrad (ε 1e-3 as in the authors' scripts), clamped to [0,1] after every step, all targets in one batch. " +
            $"Unless λ_TV is set explicitly, a split point whose default λ_TV is positive is also attacked with λ_TV = 0 and the better mean PSNR is reported (the default can hide a leak). Hyperparameters otherwise follow the authors' defaults per depth class ({WhiteBoxHyperparameters.Rule}): conv1 5000 iterations, lr 1e-2, λ 0; ReLU2 5000, 1e-2, 10; ReLU3 5000, 1e-2, 1e3; fc1 5000, 1e-3, 1e4.",
            "Black-box: an inverse network g (transposed convolutions mirroring f1's down-sampling, or fully connected for flat or odd-sized tensors, Sigmoid output) " +
            "is trained with MSE(g(f1(x)), x) and Adam (lr 1e-3) on auxiliary images the attacker feeds to f1, then applied to f1(x0). " +
            "Query-free: a shadow prefix f1' with f1's layer structure and fresh weights is trained through the frozen suffix f2 with cross-entropy on labelled auxiliary data, then inverted white-box against f1(x0).",
            $"PSNR uses peak 1 on [0,1] images; SSIM follows Wang et al. (Gaussian window 11, σ 1.5). Verdict: {r.VerdictRule}. Recommendation: {SplitInversionResult.RecommendationRule}. " +
            "The settings of every attack are in the table 'Attack settings per split point'; the budgets of the whole run in 'Hyper-parameters and budgets'.",
        ];
    }
}
