using OnnxAudit.Runtime;
using OnnxAudit.Audits;
using OnnxAudit.Audits.RConv;
using OnnxAudit.Audits.SplitInversion;
using OnnxAudit.Data;
using OnnxAudit.Graph;
using OnnxAudit.Onnx;
using OnnxAudit.Progress;
using OnnxAudit.Tests.TestUtil;
using Xunit.Abstractions;

namespace OnnxAudit.Tests.Zoo;

/// <summary>The torchvision zoo sweep (issue 17 item 7) over tests/reference/torchvision/*.onnx (written by
/// tests/reference/make_torchvision.py): the graph analysis finds layers, a head and split points; R-CONV assesses the
/// conv threat; the white-box split attack runs at the first split point. Gradients are checked by TorchvisionGradientTests.</summary>
public sealed class TorchvisionZooTests(ITestOutputHelper output)
{
    /// <summary>Models of the folder that are not swept, with the reason (never skipped silently).</summary>
    private static readonly Dictionary<string, string> Skipped = new(StringComparer.Ordinal)
    {
        // the opset-11/13 variants export the same architecture as their opset-17 twin; the sweep checks one of each
        ["shufflenet_v2_small_opset11"] = "same architecture as shufflenet_v2_small (opset 17); opsets are covered by TorchvisionGradientTests",
        ["vit_tiny_opset13"] = "same architecture as vit_tiny (opset 17); opsets are covered by TorchvisionGradientTests",
    };

    public static TheoryData<string> Models()
    {
        var data = new TheoryData<string>();
        foreach (var f in Directory.GetFiles(Path.Combine(RepoPaths.Reference, "torchvision"), "*.onnx").Order(StringComparer.Ordinal))
            data.Add(Path.GetFileNameWithoutExtension(f));
        return data;
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void Zoo_Model_InspectRConvAndSplitAssessed(string name)
    {
        if (Skipped.TryGetValue(name, out var why))
        {
            output.WriteLine($"{name}: not swept: {why}");
            Assert.False(string.IsNullOrWhiteSpace(why));
            return;
        }
        var model = OnnxModel.Load(Path.Combine(RepoPaths.Reference, "torchvision", name + ".onnx"));
        var analysis = ModelAnalysis.Analyze(model);
        Assert.NotEmpty(analysis.Layers);
        Assert.NotEmpty(analysis.SplitPoints);
        Assert.Contains(analysis.Layers, l => l.Conv is not null);

        var rconv = RConvAuditor.Run(model, analysis, null, RConvOptions.Default, NullProgress.Instance);
        Assert.True(rconv.NotAssessedReason is null, rconv.NotAssessedReason);
        Assert.NotEqual(Risk.NotAssessed, rconv.Verdict.Risk);
        Assert.Equal(analysis.Layers.Count(l => l.Conv is not null), rconv.Conditions.Count);

        // 3×32×32 images in [0,1] (a smooth deterministic pattern per image) for one white-box run at the first split point.
        const int n = 2, c = 3, h = 32, w = 32;
        var px = new float[n * c * h * w];
        for (var i = 0; i < px.Length; i++) px[i] = 0.5f + (0.4f * MathF.Sin(i * 0.013f + (i / (c * h * w))));
        var ds = Dataset.FromPixels("pattern", px, n, c, h, w, [3, 7]);
        var first = analysis.SplitPoints[0];
        var split = SplitInversionAuditor.Run(model, analysis, ds,
            new SplitAuditOptions { At = first.Tensor, Attacks = [SplitAttack.WhiteBox], Images = n, Iterations = 5 });
        var wb = Assert.Single(Assert.Single(split.Points).Attacks);
        Assert.True(wb.Ran, wb.Note);
        output.WriteLine($"{name}: {analysis.Layers.Count} layers, {analysis.SplitPoints.Count} split points, R-CONV {rconv.Verdict.Risk} over {rconv.Conditions.Count} convs; white-box at {first.ProducerLabel}: {wb.MeanPsnr.Estimate:F1} dB ({wb.Settings})");
    }
}
