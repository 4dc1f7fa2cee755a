using System.Text.Json;
using OnnxAudit.Audits.SplitInversion;
using OnnxAudit.Pipeline;
using OnnxAudit.Progress;
using OnnxAudit.Reporting;
using OnnxAudit.Reporting.Model;
using OnnxAudit.Reporting.Sections;
using OnnxAudit.Runtime;
using OnnxAudit.Tests.Reporting;
using OnnxAudit.Tests.TestUtil;

namespace OnnxAudit.Tests.Pipeline;

/// <summary>One end-to-end report per bundled model through <see cref="AuditPipeline"/> with quick settings (the split
/// audit limited to the first split point, white-box, 2 images, 40 iterations, so the suite stays short).</summary>
public class AuditPipelineTests
{
    private static string Images => Path.Combine(RepoPaths.Samples, "fashion-mnist-test-2000-images-idx3-ubyte.gz");

    // federated and convolutional verdicts of `report --quick --seed 1` (they do not depend on the split settings)
    public static TheoryData<string, string, Severity, Severity> Models => new()
    {
        { "lenet5", "/conv1/Conv_output_0", Severity.Medium, Severity.Medium },
        { "fcn-512", "/flatten/Flatten_output_0", Severity.High, Severity.NotAssessed },
        { "fcn-512-init", "/flatten/Flatten_output_0", Severity.High, Severity.NotAssessed },
        { "fcn-deep", "/flatten/Flatten_output_0", Severity.High, Severity.NotAssessed },
        // why: issue 12 — cnn6 has no ReLU head (exclusivity does not apply) but gradient inversion always runs: in --quick no image, labels read → Low.
        { "cnn6", "/conv1/Conv_output_0", Severity.Low, Severity.High },
        { "splitnet", "/conv1/Conv_output_0", Severity.Medium, Severity.Medium },
    };

    [Theory]
    [MemberData(nameof(Models))]
    public void Report_BundledModelQuick_VerdictsAndValidJson(string model, string split, Severity federated, Severity convolutional)
    {
        var request = new ReportRequest(RepoPaths.Model(model), Images, 8, [split], Quick: true, Seed: 1, RuntimeOptions.Default, "test")
        {
            SplitOptionsOverride = SplitAuditOptions.QuickPreset with { Attacks = [SplitAttack.WhiteBox], Images = 2, Iterations = 40 },
        };

        var report = AuditPipeline.Report(request, NullProgress.Instance);

        var summary = report.ExecutiveSummary.ToDictionary(v => v.Threat, v => v.Severity);
        Assert.Equal(federated, summary["Federated gradient leakage"]);
        Assert.Equal(convolutional, summary["Convolutional gradient leakage"]);
        // the split summary and its finding read one verdict
        var splitFinding = report.Sections.Single(s => s.Id == SplitInversionReport.SectionId).Blocks.OfType<FindingBlock>().Single();
        Assert.Equal(summary["Split-inference inversion"], splitFinding.Severity);

        using var json = new MemoryStream();
        new JsonReportRenderer().Render(report, json);
        var schema = SchemaValidator.Report();
        var errors = schema.Validate(JsonDocument.Parse(json.ToArray()).RootElement);
        Assert.True(errors.Count == 0, string.Join("\n", errors));
    }
}
