using System.Globalization;
using OnnxAudit.Audits.RConv;
using OnnxAudit.Onnx;
using OnnxAudit.Pipeline;
using OnnxAudit.Progress;
using OnnxAudit.Reporting;
using OnnxAudit.Reporting.Model;
using OnnxAudit.Reporting.Sections;
using OnnxAudit.Tests.TestUtil;

namespace OnnxAudit.Tests.Reporting;

/// <summary>Issue 13 / 17: long evidence is summarised (cover, terminal) and long per-layer tables are capped in the PDF
/// with a pointer to the HTML/JSON, which keep every row; the hyper-parameters are one compact table; a chain blocked by an
/// unsupported operator is a gap, not "not applicable".</summary>
public sealed class ReportBoundsTests
{
    [Fact]
    public void FirstFew_LongList_ShowsThreeAndCount_ShortListWhole()
    {
        var names = Enumerable.Range(1, 45).Select(i => "conv" + i.ToString(CultureInfo.InvariantCulture)).ToList();
        Assert.Equal("conv1, conv2, conv3 +42 more (every layer in the conditions table)", ConvolutionalVerdict.FirstFew(names));
        Assert.Equal("a, b, c, d", ConvolutionalVerdict.FirstFew(["a", "b", "c", "d"]));
    }

    [Fact]
    public void Pdf_PerLayerTable_CappedWithPointer_HtmlKeepsEveryRow()
    {
        var sample = SampleReport.Create();
        var rows = Enumerable.Range(0, 57).Select(i => (IReadOnlyList<TableCell>)[$"layer-{i:000}", "x"]).ToList();
        var table = new TableBlock("Layers", [new("layer"), new("kind")], rows) { PdfMaxRows = TableBlock.PerLayerPdfRows };
        var report = sample with { Sections = [.. sample.Sections, new ReportSection("deep", "Deep model", [table])] };
        var dir = RepoPaths.NewTempDir();
        try
        {
        var written = ReportWriter.Write(report, dir, ReportFormats.Pdf | ReportFormats.Html);
        var pdf = written.Single(f => f.EndsWith(".pdf", StringComparison.Ordinal));
        var text = string.Join(' ', Poppler.Text(pdf).Split((char[])[' ', '\n'], StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("layer-019", text, StringComparison.Ordinal);
        Assert.DoesNotContain("layer-020", text, StringComparison.Ordinal);
        Assert.Contains("The PDF shows the first 20 of 57 rows; report.html and report.json have all 57.", text, StringComparison.Ordinal);
        var html = File.ReadAllText(written.Single(f => f.EndsWith(".html", StringComparison.Ordinal)));
        Assert.Contains("layer-056", html, StringComparison.Ordinal);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public void Pdf_WideLayerTable_NarrowColumnsKeepWholeWords_NamesBreakAtDots()
    {
        // the mobilenet_v3_small layer table: seven columns whose widest words do not all fit (it printed "Normalizat/ion")
        var sample = SampleReport.Create();
        var rows = Enumerable.Range(0, 6).Select(i => (IReadOnlyList<TableCell>)
        [
            i.ToString(CultureInfo.InvariantCulture), $"features.{i}.block.2.activation", i % 2 == 0 ? "Normalization" : "Convolution",
            i % 2 == 0 ? "BatchNormalization" : "GlobalAveragePool", "24×4×4", "96", "24→24, k 3×3, s 1, p 1,1,1,1, groups 24",
        ]).ToList();
        TableColumn[] cols = [new("#", ColumnAlignment.Right, 0.3), new("Layer", RelativeWidth: 1.2), new("Kind"), new("Op"),
            new("Output", ColumnAlignment.Right), new("Params", ColumnAlignment.Right), new("Details", RelativeWidth: 1.6)];
        var report = sample with { Sections = [.. sample.Sections, new ReportSection("deep", "Deep model", [new TableBlock("Layers", cols, rows)])] };
        var dir = RepoPaths.NewTempDir();
        try
        {
            var pdf = ReportWriter.Write(report, dir, ReportFormats.Pdf).Single();
            var text = Poppler.Text(pdf);
            foreach (var word in new[] { "Normalization", "Convolution", "BatchNormalization", "GlobalAveragePool", "activation" })
                Assert.Contains(word, text, StringComparison.Ordinal);
            Assert.DoesNotContain("activatio\n", text.Replace("\n", "\\n", StringComparison.Ordinal), StringComparison.Ordinal);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    private static ReportRequest Request(bool quick) =>
        new("m.onnx", "d", 8, ["auto"], quick, 5, OnnxAudit.Runtime.RuntimeOptions.Default, "onnx-audit report m.onnx");

    private static AuditContribution Contribution(string threat, Severity severity) =>
        new(new ThreatVerdict(threat, severity, "e", []), [], [], []);

    [Fact]
    public void HyperParameterTable_QuickAndFull_FromTheOptionsUsed_NoRowForThreatNotAssessed()
    {
        AuditContribution[] assessed = [Contribution(ReportAssembler.FederatedThreat, Severity.High), Contribution(ReportAssembler.SplitThreat, Severity.Medium),
            Contribution(ReportAssembler.ConvolutionalThreat, Severity.NotAssessed)];
        string Flat(ReportRequest r)
        {
            var t = Assert.IsType<TableBlock>(Assert.Single(HyperParameterTable.Build(r, assessed).Blocks));
            Assert.DoesNotContain(t.Rows, row => row[0].Text == "Convolutional");
            Assert.Contains(t.Rows, row => row[0].Text == "Federated");
            return string.Join(" | ", t.Rows.Select(row => string.Join(" / ", row.Select(c => c.Text))));
        }
        var quick = Flat(Request(quick: true));
        Assert.Contains("200 sampled batches per statistic", quick, StringComparison.Ordinal);
        Assert.Contains("300 iterations per point", quick, StringComparison.Ordinal);
        Assert.Contains("at most 300 Adam steps (early stop on a held-out loss)", quick, StringComparison.Ordinal);
        Assert.Contains("seed 5", quick, StringComparison.Ordinal);
        Assert.Contains("unsafe at mean PSNR ≥ 20 dB or mean SSIM ≥ 0.5", quick, StringComparison.Ordinal);
        var full = Flat(Request(quick: false));
        Assert.Contains("1000 sampled batches per statistic", full, StringComparison.Ordinal);
        Assert.Contains("5000 iterations per point", full, StringComparison.Ordinal);
        Assert.Contains("at most 2000 Adam steps (early stop on a held-out loss)", full, StringComparison.Ordinal);
        Assert.Contains("deployment batch size M / 8", full, StringComparison.Ordinal);
        Assert.Contains("ReLU3 lr 0.01 λ_TV 1e+3", full, StringComparison.Ordinal);
        Assert.DoesNotContain("E+0", full, StringComparison.Ordinal);
    }

    [Fact]
    public void RConv_ChainBlockedByUnsupportedOperator_IsGapNotApplicableFalse()
    {
        // resnet20_cifar: the option-A shortcut's Slice stops the R-CONV walk (conditions counted, no reconstruction
        // attempted); BatchNormalization and the residual Adds are walked since issue 17 item 4
        var model = OnnxModel.Load(Path.Combine(RepoPaths.Reference, "torchvision", "resnet20_cifar.onnx"));
        var r = RConvAuditor.Run(model, OnnxAudit.Runtime.ModelAnalysis.Analyze(model), null, RConvOptions.Default, NullProgress.Instance);
        Assert.StartsWith("operator Slice", r.UnassessedChain, StringComparison.Ordinal);
        var v = RConvReport.Build(r).Verdict;
        Assert.NotEqual(Severity.NotAssessed, v.Severity);
        Assert.False(v.NotApplicable);
        Assert.True(v.IsGap);
        Assert.Contains("was not assessed", v.Evidence, StringComparison.Ordinal);
        // a model without convolutions is not applicable, not a gap
        var fcn = OnnxModel.Load(RepoPaths.Model("fcn-512"));
        var none = RConvReport.Build(RConvAuditor.Run(fcn, OnnxAudit.Runtime.ModelAnalysis.Analyze(fcn), null, RConvOptions.Default, NullProgress.Instance)).Verdict;
        Assert.True(none.NotApplicable);
        Assert.False(none.IsGap);
    }
}
