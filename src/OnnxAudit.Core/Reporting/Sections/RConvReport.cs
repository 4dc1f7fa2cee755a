using OnnxAudit.Common;
using System.Globalization;
using OnnxAudit.Audits;
using OnnxAudit.Audits.RConv;
using OnnxAudit.Imaging;
using OnnxAudit.Reporting.Model;

namespace OnnxAudit.Reporting.Sections;

/// <summary>Turns an <see cref="RConvAuditResult"/> into the report's convolutional-leakage contribution (renders, never computes).</summary>
public static class RConvReport
{
    /// <summary>Reconstructions at or above this PSNR (dB, peak 1) count as successful (<see cref="ConvolutionalVerdict.SuccessPsnr"/>).</summary>
    public const double SuccessPsnr = ConvolutionalVerdict.SuccessPsnr;

    /// <summary>The rule behind the severity, stated in the report (<see cref="ConvolutionalVerdict.Rule"/>).</summary>
    public const string SeverityRule = ConvolutionalVerdict.Rule;

    private static readonly string[] MethodText =
    [
        "R-CONV (Eltaras24) attacks one client's gradient at batch size 1. The input of the first fully-connected layer is x_n = ∂ℓ/∂W[k,n] / ∂ℓ/∂b[k]; " +
        "∂ℓ/∂x = Wᵀ∂ℓ/∂b is carried back through each activation with its derivative written in the reconstructed output (LeakyReLU: 1 or α, Sigmoid: y(1−y), Tanh: 1−y²). " +
        "Each conv weight gradient ∂ℓ/∂W[f,n,k,l] = Σ_{p,q} ∂ℓ/∂O[f,p,q]·X_n[S·p+k−P, S·q+l−P] is one linear equation in the pixels of input channel n, so every channel is an " +
        "independent least-squares system of F·Kh·Kw rows in H·W unknowns (solved by SVD).",
        "Conditions per layer: gradient condition F·Kh·Kw ≥ H·W per channel (per group for grouped convolutions) and, with stride S > 1, in every stride phase " +
        "(pixels with i ≡ a, j ≡ b mod S only meet the taps of the same phase); forward condition F·Oh·Ow ≥ N·H·W with an invertible activation after the layer; " +
        "the R-CONV slides' mitigation rule |X| > |A| + |B|. Counting is necessary, not sufficient: the rank check builds each layer's gradient system from the true " +
        "∂ℓ/∂O of real samples and reports its numerical rank (singular values above 1e-6·σ_max).",
        "When a layer's gradient rows are short but its output is known (invertible activation), the forward rows W*X + b = O and the gradient rows are stacked into one " +
        "weighted least-squares system (each block scaled to the same Frobenius norm) and solved by LSQR; the forward rows alone can be square and ill-conditioned " +
        "(condition number 5e7 on the R-CONV LeNet's first layer), the stacked system is well-conditioned.",
        "PSNR is peak-1 on images in [0,1]: PSNR = 10·log10(1/MSE). The R-CONV code computes PSNR with peak 255 on [0,1] images, which adds 20·log10(255) ≈ 48 dB; " +
        "its published values are about 48 dB too high. SSIM follows Wang et al. 2004 (Gaussian window 11, σ 1.5).",
    ];

    /// <summary>Builds the contribution.</summary>
    public static AuditContribution Build(RConvAuditResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var citations = ReportAssembler.BaseCitations.Where(c => c.Key == "Eltaras24").ToList();
        if (result.NotAssessedReason is { } why)
        {
            return new AuditContribution(new ThreatVerdict(ReportAssembler.ConvolutionalThreat, Severity.NotAssessed, why, [], "rconv") { NotApplicable = result.NotApplicable },
                [new ReportSection("rconv", "Convolutional gradient leakage (R-CONV)", [new NoteBlock("Not assessed: " + why)])], MethodText, citations);
        }

        var (severity, evidence) = Classify(result);
        var blocks = new List<ReportBlock>
        {
            new FindingBlock(severity, "Convolutional layers leak their inputs through single-sample gradients", evidence, Recommendation(result), SeverityRule),
            ConditionsTable(result),
        };
        if (result.RankChecks.Count > 0) blocks.Add(RankTable(result));
        if (result.Images.Count > 0)
        {
            blocks.Add(ReconstructionTable(result));
            if (LayerStepTable(result) is { } steps) blocks.Add(steps);
            if (Grid(result) is { } grid) blocks.Add(grid);
        }
        if (result.ChainBreakLayer is not null) blocks.Add(new NoteBlock($"Not reconstructable at layer {result.ChainBreakLayer}: {result.ChainBreakReason}", NoteKind.Info));
        var actions = new List<string> { Recommendation(result) };
        var part = result.UnassessedChain is { } chain ? "the R-CONV reconstruction chain: " + chain : null;
        return new AuditContribution(new ThreatVerdict(ReportAssembler.ConvolutionalThreat, severity, evidence, actions, "rconv") { NotAssessedPart = part },
            [new ReportSection("rconv", "Convolutional gradient leakage (R-CONV)", blocks)], MethodText, citations);
    }

    /// <summary>The severity and its one-sentence evidence (<see cref="ConvolutionalVerdict"/>).</summary>
    internal static (Severity Severity, string Evidence) Classify(RConvAuditResult r)
    {
        var verdict = ConvolutionalVerdict.Of(r);
        return (verdict.Risk.ToSeverity(), verdict.Sentence);
    }

    private static string Recommendation(RConvAuditResult r)
    {
        var unsafeLayers = r.Conditions.Where(c => c.Verdict != RConvVerdict.SafeByCounting).ToList();
        if (unsafeLayers.Count == 0) return "Keep the filter counts at or below the 'max safe F' column when changing the architecture.";
        return "Do not share single-sample gradients of this model; aggregate securely over large batches, or reduce filters to the 'max safe F' column and " +
               "follow them with a non-invertible activation (e.g. ReLU) so that neither the gradient nor the forward condition holds.";
    }

    private static TableBlock ConditionsTable(RConvAuditResult r)
    {
        var rows = r.Conditions.Select(c =>
        {
            var g = c.Geometry;
            var sev = c.Verdict == RConvVerdict.SafeByCounting ? Severity.Low : Severity.High;
            return (IReadOnlyList<TableCell>)
            [
                g.Name,
                Inv($"{g.InChannels}×{g.InH}×{g.InW} → {g.OutChannels}×{g.OutH}×{g.OutW}"),
                Inv($"k{g.KernelH}×{g.KernelW} s{g.StrideH} p{g.PadTop}{(g.Groups > 1 ? $" g{g.Groups}" : "")}"),
                Inv($"{c.RowsPerChannel} {(c.GradientConditionHolds ? "≥" : "<")} {c.UnknownsPerChannel}{(c.GradientUndetermined > 0 && c.RowsPerChannel >= c.UnknownsPerChannel ? $" (phase {c.PhaseRows} < {c.PhaseUnknowns})" : "")}"),
                Inv($"{c.ForwardConstraintsA} {(c.ForwardCountHolds ? "≥" : "<")} {c.UnknownsX}, {c.FollowingOpType}{(c.ActivationInvertible ? " (invertible)" : "")}"),
                Inv($"{(c.MitigationRuleHolds ? "holds" : "fails")}: {c.UnknownsX} {(c.MitigationRuleHolds ? ">" : "≤")} {c.ForwardConstraintsA} + {c.GradientConstraintsB}"),
                Fmt.N(c.MaxSafeFilters),
                new TableCell(VerdictText(c.Verdict), sev),
            ];
        }).ToList();
        return new TableBlock("R-CONV conditions per conv layer. Rule: a layer leaks when F·Kh·Kw ≥ H·W per channel in every stride phase (gradient), " +
            "or F·Oh·Ow ≥ N·H·W with an invertible activation (forward), or the forward rows cover what the gradient leaves free (combined).",
            ["layer", "input → output", "kernel", "gradient rows/channel vs H·W", "forward F·Oh·Ow vs N·H·W", "|X| > |A| + |B|", "max safe F", "verdict"], rows) { PdfMaxRows = TableBlock.PerLayerPdfRows };
    }

    private static string VerdictText(RConvVerdict v) => v switch
    {
        RConvVerdict.LeaksThroughGradientConstraints => "leaks (gradient)",
        RConvVerdict.LeaksThroughForwardConstraints => "leaks (forward)",
        RConvVerdict.LeaksThroughCombinedConstraints => "leaks (combined)",
        _ => "safe by counting",
    };

    private static TableBlock RankTable(RConvAuditResult r)
    {
        var rows = r.RankChecks.GroupBy(k => k.Layer).Select(g => (IReadOnlyList<TableCell>)
        [
            g.Key,
            Inv($"{g.First().Rows} × {g.First().Unknowns}"),
            Inv($"{g.Min(k => k.Rank)}–{g.Max(k => k.Rank)}"),
            Inv($"{g.Min(k => k.ZeroRows)}–{g.Max(k => k.ZeroRows)}"),
            new TableCell(Inv($"{g.Count(k => k.FullRank)}/{g.Count()}"), g.All(k => k.FullRank) ? Severity.High : Severity.None),
        ]).ToList();
        return new TableBlock(Inv($"Rank check: numerical rank of each layer's per-channel gradient system on the true ∂ℓ/∂O of {r.Images.Count} sample(s)."),
            ["layer", "rows × unknowns", "rank (min–max)", "zero rows (min–max)", "full rank"], rows) { PdfMaxRows = TableBlock.PerLayerPdfRows };
    }

    private static TableBlock ReconstructionTable(RConvAuditResult r)
    {
        var rows = r.Images.Select(i => (IReadOnlyList<TableCell>)
        [
            Inv($"{i.DataIndex}"),
            Inv($"{i.Label}"),
            i.Psnr is { } p ? new TableCell(Fmt.Db(p)) { Value = p, Unit = "dB" } : "—",
            i.Ssim is { } s ? new TableCell(Fmt.F(s, 4)) { Value = s } : "—",
            i.Detail.Succeeded ? Inv($"{i.Detail.Steps.Count} layers, max residual {NumberText.G(i.Detail.Steps.Max(s => s.RelativeResidual), 2)}")
                : $"stopped at {i.Detail.FailedLayer}: {i.Detail.FailureReason}",
        ]).ToList();
        var caption = Inv($"Reconstructions (seed {r.Seed}); mean PSNR {(r.MeanPsnr is { } m ? Fmt.Db(m) : "n/a")}, mean SSIM {(r.MeanSsim is { } ms ? Fmt.F(ms, 4) : "n/a")}; run times are in the timing block only, so that identical runs give identical reports.");
        return new TableBlock(caption,
            [new("image", ColumnAlignment.Right, 0.6), new("label", ColumnAlignment.Right, 0.6), new("PSNR", ColumnAlignment.Right), new("SSIM", ColumnAlignment.Right, 0.8),
             new("layers solved", RelativeWidth: 2.4)], rows) { PdfMaxRows = TableBlock.PerLayerPdfRows };
    }

    /// <summary>How each layer was solved, over all reconstructed images (method, worst residual, mean time).</summary>
    private static TableBlock? LayerStepTable(RConvAuditResult r)
    {
        var steps = r.Images.Where(i => i.Detail.Succeeded).SelectMany(i => i.Detail.Steps).ToList();
        if (steps.Count == 0) return null;
        var rows = steps.GroupBy(s => s.Layer).Select(g => (IReadOnlyList<TableCell>)
        [
            g.Key, Method(g.First().Method), Inv($"{NumberText.G(g.Max(s => s.RelativeResidual), 2)}"),
        ]).ToList();
        return new TableBlock("Per-layer solves, from the top of the network down (worst relative residual over the images)",
            [new("layer", RelativeWidth: 1.4), new("method", RelativeWidth: 1.6), new("worst residual", ColumnAlignment.Right)], rows) { PdfMaxRows = TableBlock.PerLayerPdfRows };
    }

    private static string Method(RConvSolveMethod m) => m switch
    {
        RConvSolveMethod.FullyConnectedDivision => "FC division",
        RConvSolveMethod.GradientConstraints => "gradient",
        RConvSolveMethod.JointGradientForward => "forward + gradient",
        _ => "gradient + forward null space",
    };

    private static ImageGridBlock? Grid(RConvAuditResult r)
    {
        var shape = r.ImageShape;
        if (shape.Length != 3) return null;
        var rows = r.Images.Take(10).Select(i => new ImageGridRow(Inv($"#{i.DataIndex}"),
            [new ReportImage(Png(i.Original, shape), "original"),
             new ReportImage(Png(i.Reconstruction ?? new float[i.Original.Length], shape), i.Psnr is { } p ? Fmt.Db(p) : "not reconstructed")])).ToList();
        return new ImageGridBlock("Originals and R-CONV reconstructions from single-sample gradients", ["original", "reconstruction"], rows);
    }

    private static byte[] Png(float[] chw, int[] shape)
    {
        int c = shape[0], h = shape[1], w = shape[2];
        var px = new byte[c * h * w];
        for (var y = 0; y < h; y++)
            for (var x = 0; x < w; x++)
                for (var ch = 0; ch < c; ch++)
                    px[(((y * w) + x) * c) + ch] = ImageGrid.ToByte(chw[(((ch * h) + y) * w) + x]);
        return PngWriter.Encode(px, w, h, c);
    }

    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
