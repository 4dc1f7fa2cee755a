using System.Text.Json;
using OnnxAudit.Tests.TestUtil;

namespace OnnxAudit.Tests.Cli;

public class CliRConvTests
{
    private static string Data => Path.Combine(RepoPaths.Samples, "fashion-mnist-test-2000-images-idx3-ubyte.gz");

    [Fact]
    public void Rconv_Lenet5_ConditionsTable_ExitsZero()
    {
        var r = CliRunner.Run("rconv", RepoPaths.Model("lenet5"));
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("safe by counting", r.Stdout);
        Assert.Contains("leaks (gradient)", r.Stdout);
    }

    [Fact]
    public void Rconv_Cnn6_WithData_Json_ReportsReconstruction()
    {
        // -n is --images in every verb (--reconstruct stays an alias); --fail-on gates rconv like every auditing verb
        var r = CliRunner.Run("rconv", RepoPaths.Model("cnn6"), "--data", Data, "-n", "1", "--json", "--fail-on", "high");
        Assert.True(r.ExitCode == 1, r.Stderr);
        using var doc = JsonDocument.Parse(r.Stdout);
        var root = doc.RootElement;
        var errors = OnnxAudit.Tests.Reporting.SchemaValidator.Report().ValidateDef("verdict", root.GetProperty("verdict"));
        Assert.True(errors.Count == 0, string.Join("\n", errors));
        Assert.Equal(6, root.GetProperty("conditions").GetArrayLength());
        Assert.Equal("high", root.GetProperty("verdict").GetProperty("severity").GetString());
        Assert.True(root.GetProperty("meanPsnr").GetDouble() >= 60);
        Assert.Equal(6, root.GetProperty("rankChecks").GetArrayLength());
    }

    [Fact]
    public void Rconv_BadInputs_ExitTwo()
    {
        var missing = CliRunner.Run("rconv", Path.Combine(RepoPaths.NewTempDir(), "none.onnx"));
        Assert.Equal(2, missing.ExitCode);
        Assert.StartsWith("error:", missing.Stderr.Trim());
        var negative = CliRunner.Run("rconv", RepoPaths.Model("cnn6"), "--data", Data, "--reconstruct", "-3");
        Assert.Equal(2, negative.ExitCode);
        Assert.Contains("--reconstruct", negative.Stderr);
    }
}
