using OnnxAudit.Runtime;
using OnnxAudit.Audits.RConv;
using OnnxAudit.Data;
using OnnxAudit.Graph;
using OnnxAudit.Onnx;
using OnnxAudit.Progress;
using OnnxAudit.Reporting.Model;
using OnnxAudit.Reporting.Sections;
using OnnxAudit.Tests.TestUtil;

using OnnxAudit.Tests.Audits.RConv;

namespace OnnxAudit.Tests.Reporting.Sections;

public class RConvReportTests
{
    private static RConvAuditResult Audit(string name, int images)
    {
        var model = OnnxModel.Load(RepoPaths.Model(name));
        var data = images == 0 ? null : DatasetLoader.LoadIdx(Path.Combine(RepoPaths.Samples, "fashion-mnist-test-2000-images-idx3-ubyte.gz"), DataOptions.Default with { Limit = 10 });
        return RConvAuditor.Run(model, ModelAnalysis.Analyze(model), data, RConvOptions.Default with { Images = images }, NullProgress.Instance);
    }

    [Fact]
    public void Cnn6_TwoRuns_IdenticalJsonApartFromTiming()
    {
        // why: per-image seconds used to sit in the reconstruction tables, so two identical runs' report.json differed
        // outside the timing block (issue 13); the federated and split sections are covered by ReportCommandTests.
        static string Json(RConvAuditResult r)
        {
            var report = SampleReport.Create() with { Sections = RConvReport.Build(r).Sections };
            using var ms = new MemoryStream();
            new OnnxAudit.Reporting.JsonReportRenderer().Render(report, ms);
            var node = System.Text.Json.Nodes.JsonNode.Parse(ms.ToArray())!.AsObject();
            node.Remove("timing");
            return node.ToJsonString();
        }
        var a = Json(Audit("cnn6", 1));
        var b = Json(Audit("cnn6", 1));
        Assert.Equal(a, b);
        Assert.Contains("\"unit\": \"dB\"", a.Replace("\"unit\":\"dB\"", "\"unit\": \"dB\"", StringComparison.Ordinal), StringComparison.Ordinal);
    }

    [Fact]
    public void Cnn6_WithReconstruction_IsHigh_WithImagesAndMethodNote()
    {
        var c = RConvReport.Build(Audit("cnn6", 1));
        Assert.Equal(ReportAssembler.ConvolutionalThreat, c.Verdict.Threat);
        Assert.Equal(Severity.High, c.Verdict.Severity);
        var s = Assert.Single(c.Sections);
        Assert.True(ReportSection.IsValidId(s.Id));
        var grid = Assert.Single(s.Blocks.OfType<ImageGridBlock>());
        Assert.Equal(2, grid.Rows[0].Images.Count);
        Assert.Equal(6, s.Blocks.OfType<TableBlock>().First().Rows.Count);
        Assert.Contains(c.Method, m => m.Contains("48 dB too high"));
        Assert.Contains(c.Citations, x => x.Key == "Eltaras24");
        Assert.Contains("≥ 30 dB", Assert.Single(s.Blocks.OfType<FindingBlock>()).Rule);
    }

    [Fact]
    public void Lenet5_LeakingLayerBehindMaxPool_IsMedium_AndNamesTheBreak()
    {
        var c = RConvReport.Build(Audit("lenet5", 1));
        Assert.Equal(Severity.Medium, c.Verdict.Severity);
        var notes = c.Sections[0].Blocks.OfType<NoteBlock>().Select(n => n.Text).ToList();
        Assert.Contains(notes, n => n.StartsWith("Not reconstructable at layer", StringComparison.Ordinal) && n.Contains("max pooling"));
    }

    [Fact]
    public void ModelWithoutConv_IsNotAssessed_WithReason()
    {
        var c = RConvReport.Build(Audit("fcn-512", 0));
        Assert.Equal(Severity.NotAssessed, c.Verdict.Severity);
        Assert.Contains("no convolution layer", c.Verdict.Evidence);
    }
}
