using OnnxAudit.Tests.TestUtil;

namespace OnnxAudit.Tests.Cli;

public sealed class SplitCommandTests
{
    private static string Data => Path.Combine(RepoPaths.Samples, "fashion-mnist-test-2000-images-idx3-ubyte.gz");

    [Fact]
    public void Split_AtConv1_Unsafe_FailOnHigh_Exit1()
    {
        // --at is kept as an alias of --splits; the exit code follows --fail-on as in every auditing verb
        var r = CliRunner.Run("split", RepoPaths.Model("lenet5"), "--data", Data, "--at", "conv1", "--attacks", "whitebox", "--images", "2", "--iterations", "120", "--fail-on", "high");
        Assert.True(r.ExitCode == 1, r.Stderr + r.Stdout);
        Assert.Contains("unsafe", r.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Split_AtDeepestWithFewIterations_Safe_Exit0()
    {
        var r = CliRunner.Run("split", RepoPaths.Model("lenet5"), "--data", Data, "--splits", "/relu_3/Relu_output_0", "--attacks", "whitebox", "--images", "2", "--iterations", "20", "--json", "--fail-on", "high");
        Assert.True(r.ExitCode == 0, r.Stderr + r.Stdout);
        Assert.Contains("\"recommended\": \"/relu_3/Relu_output_0\"", r.Stdout, StringComparison.Ordinal);
        // the verdict object is report.json's executive-summary entry
        var verdict = System.Text.Json.JsonDocument.Parse(r.Stdout).RootElement.GetProperty("verdict");
        var errors = OnnxAudit.Tests.Reporting.SchemaValidator.Report().ValidateDef("verdict", verdict);
        Assert.True(errors.Count == 0, string.Join("\n", errors));
        Assert.Equal("Split-inference inversion", verdict.GetProperty("threat").GetString());
    }

    [Fact]
    public void Split_BadAt_Exit2_ListsSplitPoints()
    {
        var r = CliRunner.Run("split", RepoPaths.Model("lenet5"), "--data", Data, "--splits", "conv9");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("error: --splits conv9", r.Stderr, StringComparison.Ordinal);
        Assert.Contains("/fc1/Gemm_output_0 (fc1)", r.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Split_BadAttack_Exit2()
    {
        var r = CliRunner.Run("split", RepoPaths.Model("lenet5"), "--data", Data, "--attacks", "whitebox,telepathy");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("unknown attack 'telepathy'", r.Stderr, StringComparison.Ordinal);
    }
}
