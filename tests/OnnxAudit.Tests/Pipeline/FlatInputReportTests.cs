using OnnxAudit.Tests.Audits.Exclusivity;
using OnnxAudit.Tests.Cli;
using OnnxAudit.Tests.TestUtil;

namespace OnnxAudit.Tests.Pipeline;

/// <summary>A classifier whose input is a flat batch [batch, 784] runs through the whole report.</summary>
public sealed class FlatInputReportTests : IDisposable
{
    private readonly string _dir = RepoPaths.NewTempDir();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Report_FlatInputClassifier_ExitsZeroAndAssessesFederatedThreat()
    {
        var modelPath = Path.Combine(_dir, "flat.onnx");
        TinyFcn.Random([784, 32, 16, 10], seed: 5).Save(modelPath);
        var outDir = Path.Combine(_dir, "out");
        var images = Path.Combine(RepoPaths.Samples, "fashion-mnist-test-2000-images-idx3-ubyte.gz");

        var result = CliRunner.Run(["report", modelPath, "--data", images, "-o", outDir, "--quick", "--seed", "1", "--formats", "json"]);

        Assert.True(result.ExitCode == 0, $"exit {result.ExitCode}: {result.Stderr}");
        var json = File.ReadAllText(Path.Combine(outDir, "report.json"));
        Assert.Contains("Federated gradient leakage", json, StringComparison.Ordinal);
        Assert.DoesNotContain("Invalid rank", json, StringComparison.Ordinal);
    }
}
