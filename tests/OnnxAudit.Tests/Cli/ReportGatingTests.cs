using System.Text.Json;
using OnnxAudit.Tests.Reporting;
using OnnxAudit.Tests.TestUtil;

namespace OnnxAudit.Tests.Cli;

/// <summary>The CI gate cannot be fooled (issue 13): an option that names nothing is exit 2 with nothing written, and a
/// requested threat that was not assessed fails <c>--fail-on</c> unless <c>--allow-not-assessed</c>. Also checks the
/// JSON ($schema, schema) and the SARIF 2.1.0 structure of the reports these runs write.</summary>
public sealed class ReportGatingTests : IDisposable
{
    private readonly string _dir = RepoPaths.NewTempDir();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string Images => Path.Combine(RepoPaths.Samples, "fashion-mnist-test-2000-images-idx3-ubyte.gz");

    [Fact]
    public void Report_SplitsNamesNothing_FailOnLow_Exit2_NothingWritten()
    {
        var outDir = Path.Combine(_dir, "nosuch");
        var r = CliRunner.Run("report", RepoPaths.Model("fcn-512"), "--data", Images, "-o", outDir, "--quick", "--splits", "nosuch", "--fail-on", "low");
        Assert.True(r.ExitCode == 2, $"exit {r.ExitCode}: {r.Stderr}");
        Assert.Contains("--splits nosuch", r.Stderr, StringComparison.Ordinal); // the option the user typed, not --at
        Assert.DoesNotContain("--at", r.Stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(outDir), "nothing may be written on bad input");
    }

    [Theory]
    [InlineData(new[] { "reprot", "m.onnx" }, "did you mean 'report'?")]
    [InlineData(new[] { "report", "m.onnx", "-o", "x", "--splts", "a" }, "did you mean '--splits'?")]
    [InlineData(new[] { "split", "m.onnx", "--dat", "x" }, "did you mean '--data'?")]
    public void Misspelt_VerbOrOption_Exit2_SuggestsTheName(string[] args, string suggestion)
    {
        var r = CliRunner.Run(args);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains(suggestion, r.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Report_BatchSizeLargerThanData_Exit2_NothingWritten()
    {
        var outDir = Path.Combine(_dir, "batch");
        var r = CliRunner.Run("report", RepoPaths.Model("fcn-512"), "--data", Images, "-o", outDir, "--quick", "-b", "5000", "--fail-on", "low");
        Assert.True(r.ExitCode == 2, $"exit {r.ExitCode}: {r.Stderr}");
        Assert.Contains("--batch-size 5000", r.Stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(outDir));
    }

    [Fact]
    public void Report_NotAssessed_FailOn_Exit1_UnlessAllowNotAssessed()
    {
        // no --data: every threat is requested but not assessed
        var outDir = Path.Combine(_dir, "nodata");
        var r = CliRunner.Run("report", RepoPaths.Model("lenet5"), "-o", outDir, "--formats", "json,sarif", "--fail-on", "low");
        Assert.True(r.ExitCode == 1, $"exit {r.ExitCode}: {r.Stderr}");
        Assert.Contains("not assessed", r.Stderr, StringComparison.Ordinal);
        Assert.Contains("--allow-not-assessed", r.Stderr, StringComparison.Ordinal);

        var allowed = CliRunner.Run("report", RepoPaths.Model("lenet5"), "-o", Path.Combine(_dir, "allowed"), "--formats", "json", "--fail-on", "low", "--allow-not-assessed");
        Assert.True(allowed.ExitCode == 0, $"exit {allowed.ExitCode}: {allowed.Stderr}");
        var plain = CliRunner.Run("report", RepoPaths.Model("lenet5"), "-o", Path.Combine(_dir, "plain"), "--formats", "json");
        Assert.True(plain.ExitCode == 0, plain.Stderr); // without --fail-on there is no gate

        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "report.json")));
        var errors = SchemaValidator.Report().Validate(json.RootElement);
        Assert.True(errors.Count == 0, string.Join("\n", errors));
        using var schema = JsonDocument.Parse(File.ReadAllText(Path.Combine(RepoPaths.Root, "schemas", "report.schema.json")));
        Assert.Equal(schema.RootElement.GetProperty("$id").GetString(), json.RootElement.GetProperty("$schema").GetString());
        Assert.StartsWith("urn:", schema.RootElement.GetProperty("$id").GetString(), StringComparison.Ordinal);
        Assert.All(json.RootElement.GetProperty("executiveSummary").EnumerateArray(), v => Assert.False(v.GetProperty("notApplicable").GetBoolean()));

        using var sarif = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "report.sarif")));
        var sarifErrors = SarifChecks.Validate(sarif.RootElement);
        Assert.True(sarifErrors.Count == 0, string.Join("\n", sarifErrors));
        var official = SarifSchemaTests.OfficialErrors(sarif.RootElement);
        Assert.True(official.Count == 0, string.Join("\n", official));
        var results = sarif.RootElement.GetProperty("runs")[0].GetProperty("results").EnumerateArray().ToList();
        Assert.Equal(3, results.Count); // one result per threat's finding
        Assert.All(results, x => Assert.Equal("review", x.GetProperty("kind").GetString()));
    }
}
