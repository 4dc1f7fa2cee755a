using System.Text.Json;
using OnnxAudit.Onnx;
using OnnxAudit.Tests.TestUtil;

namespace OnnxAudit.Tests.Cli;

public class CliExclusivityCommandTests
{
    private static string Data => Path.Combine(RepoPaths.Samples, "fashion-mnist-test-2000-images-idx3-ubyte.gz");

    [Fact]
    public void Exclusivity_Json_HasProportionsAndVerdict()
    {
        var r = CliRunner.Run("exclusivity", RepoPaths.Model("fcn-512-init"), "--data", Data, "--batches", "100", "--json", "--fail-on", "high");
        Assert.Equal(1, r.ExitCode); // fcn-512-init: ~27% insecure at M = 8 → HIGH, and --fail-on high gates on it
        using var doc = JsonDocument.Parse(r.Stdout);
        Assert.Equal("high", doc.RootElement.GetProperty("verdict").GetProperty("severity").GetString());
        // one JSON contract: every verb's verdict object validates against report.json's verdict definition
        var errors = OnnxAudit.Tests.Reporting.SchemaValidator.Report().ValidateDef("verdict", doc.RootElement.GetProperty("verdict"));
        Assert.True(errors.Count == 0, string.Join("\n", errors));
        Assert.Equal(100, doc.RootElement.GetProperty("statistics").GetProperty("main").GetProperty("insecure").GetProperty("total").GetInt32());
    }

    [Fact]
    public void Exclusivity_NoReluHead_Or_BadBatchSize_ExitsTwo()
    {
        var r = CliRunner.Run("exclusivity", RepoPaths.Model("cnn6"), "--data", Data, "--batches", "10");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("no ReLU layer in the classifier head", r.Stderr, StringComparison.Ordinal);
        var b = CliRunner.Run("exclusivity", RepoPaths.Model("fcn-512"), "--data", Data, "--batch-size", "0");
        Assert.Equal(2, b.ExitCode);
        Assert.Contains("--batch-size 0", b.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void AttackGradient_WritesGridsAndSummary_BadInputWritesNothing()
    {
        var dir = Path.Combine(RepoPaths.NewTempDir(), "out");
        var r = CliRunner.Run("attack", "gradient", RepoPaths.Model("fcn-deep"), "--data", Data, "--batch-size", "4", "--batches", "1", "-o", dir);
        Assert.Equal(1, r.ExitCode); // inputs recovered → findings
        Assert.Equal(2, Directory.GetFiles(dir, "batch-*.png").Length);
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "summary.json")));
        Assert.Equal(1.0, doc.RootElement.GetProperty("insecure").GetProperty("labelAccuracy").GetDouble());

        var bad = Path.Combine(RepoPaths.NewTempDir(), "bad");
        var e = CliRunner.Run("attack", "gradient", RepoPaths.Model("fcn-deep"), "--data", Data, "--batch-size", "5000", "-o", bad);
        Assert.Equal(2, e.ExitCode);
        Assert.False(Directory.Exists(bad));
    }

    [Fact]
    public void Harden_WritesModelWithoutFirstHeadRelu_AndVerifiesOnData()
    {
        var outPath = Path.Combine(RepoPaths.NewTempDir(), "hardened.onnx");
        var r = CliRunner.Run("harden", RepoPaths.Model("fcn-512"), "--exclusivity-reduction", "-o", outPath, "--data", Data);
        Assert.Equal(0, r.ExitCode);
        Assert.Equal(0, OnnxModel.Load(outPath).Graph.Node.Count(n => n.OpType == "Relu"));
        Assert.Contains("secure batches of size 513 (> d_1 = 512): 200/200", r.Stdout, StringComparison.Ordinal);
        Assert.Contains("accuracy before", r.Stdout, StringComparison.Ordinal);

        var none = Path.Combine(RepoPaths.NewTempDir(), "x.onnx");
        Assert.Equal(2, CliRunner.Run("harden", RepoPaths.Model("fcn-512"), "-o", none).ExitCode);
        Assert.Equal(2, CliRunner.Run("harden", RepoPaths.Model("cnn6"), "--exclusivity-reduction", "-o", none).ExitCode);
        Assert.False(File.Exists(none));
    }
}
