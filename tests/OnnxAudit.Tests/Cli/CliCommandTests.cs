using System.Diagnostics;
using System.Text.Json;
using OnnxAudit.Autodiff;
using OnnxAudit.Data;
using OnnxAudit.Tests.TestUtil;

namespace OnnxAudit.Tests.Cli;

/// <summary>The CLI verbs on the bundled models and data, as a user runs them.</summary>
public sealed class CliCommandTests : IDisposable
{
    private readonly string _dir = RepoPaths.NewTempDir();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string Images => Path.Combine(RepoPaths.Samples, "fashion-mnist-test-2000-images-idx3-ubyte.gz");

    [Fact]
    public void Inspect_Json_HasLayersHeadAndSplitPoints()
    {
        var r = CliRunner.Run("inspect", RepoPaths.Model("lenet5"), "--json");
        Assert.Equal(0, r.ExitCode);
        var root = JsonDocument.Parse(r.Stdout).RootElement;
        Assert.Equal(12, root.GetProperty("layers").GetArrayLength());
        var head = root.GetProperty("head");
        Assert.Equal(2, head.GetProperty("relus").GetArrayLength());
        Assert.Equal(120, head.GetProperty("relus")[0].GetProperty("width").GetInt64());
        Assert.Equal(11, root.GetProperty("splitPoints").GetArrayLength());
        Assert.Equal(61706, root.GetProperty("parameterCount").GetInt64());
    }

    [Fact]
    public void Inspect_Tables_ShowModelCardAndLayers()
    {
        var r = CliRunner.Run("inspect", RepoPaths.Model("fcn-512"));
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("407,050", r.Stdout, StringComparison.Ordinal);
        Assert.Contains("head ReLU i = 1", r.Stdout, StringComparison.Ordinal);
        Assert.Contains("784 → 512 → 10", r.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Report_WritesPdfHtmlJson_WithGraphAndDataSections()
    {
        var outDir = Path.Combine(_dir, "report");
        // quick settings and one split point keep this test to seconds (a full report attacks every split point at 5000 iterations)
        var r = CliRunner.Run("report", RepoPaths.Model("fcn-512"), "--data", Images, "-o", outDir, "--quick", "--splits", "/flatten/Flatten_output_0");
        Assert.True(r.ExitCode == 0, r.Stderr);
        foreach (var f in new[] { "report.pdf", "report.html", "report.json" }) Assert.True(File.Exists(Path.Combine(outDir, f)), f);
        var text = PdfText(Path.Combine(outDir, "report.pdf"));
        Assert.Contains("Privacy audit of fcn-512", text, StringComparison.Ordinal);
        Assert.Contains("Model and graph analysis", text, StringComparison.Ordinal);
        Assert.Contains("Candidate split points", text, StringComparison.Ordinal);
        Assert.Contains("Model accuracy on this", text, StringComparison.Ordinal);
        var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "report.json"))).RootElement;
        Assert.Equal("2.0", json.GetProperty("schemaVersion").GetString());
    }

    [Fact]
    public void Gradient_Lenet5_EqualsPyTorchFixtureForSameIndices()
    {
        var fixture = Path.Combine(RepoPaths.Reference, "gradients", "lenet5", "b8");
        var meta = JsonDocument.Parse(File.ReadAllText(Path.Combine(fixture, "meta.json"))).RootElement;
        var indices = string.Join(',', meta.GetProperty("indices").EnumerateArray().Select(e => e.GetInt32()));
        var outDir = Path.Combine(_dir, "grad");
        var r = CliRunner.Run("gradient", RepoPaths.Model("lenet5"), "--data", Images, "--indices", indices, "-o", outDir);
        Assert.True(r.ExitCode == 0, r.Stderr);
        var batch = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "batch.json"))).RootElement;
        Assert.Equal(meta.GetProperty("labels").EnumerateArray().Select(e => e.GetInt64()), batch.GetProperty("labels").EnumerateArray().Select(e => e.GetInt64()));
        Numerics.AssertClose(expected: meta.GetProperty("loss").GetDouble(), actual: double.Parse(File.ReadAllText(Path.Combine(outDir, "loss.txt")), System.Globalization.CultureInfo.InvariantCulture), atol: 1e-5, rtol: 1e-3, what: "loss");
        var count = 0;
        foreach (var p in meta.GetProperty("params").EnumerateObject())
        {
            var name = GradientNames.Sanitize(p.Name);
            var (actual, shape) = NpyReader.ReadFloat32(Path.Combine(outDir, name + ".npy"));
            Assert.Equal(p.Value.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()), shape);
            Assert.False(p.Value.GetProperty("sampled").GetBoolean());
            Numerics.AssertClose(expected: NpyReader.ReadFloat32(Path.Combine(fixture, name + ".npy")).Data, actual: actual, atol: 1e-5, rtol: 1e-3, what: p.Name);
            count++;
        }
        Assert.Equal(10, count);
        Assert.Equal(12, Directory.GetFiles(outDir).Length); // 10 gradients + loss.txt + batch.json
    }

    internal static string PdfText(string pdf)
    {
        using var p = Process.Start(new ProcessStartInfo("pdftotext", ["-layout", pdf, "-"]) { RedirectStandardOutput = true })!;
        var text = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        Assert.Equal(0, p.ExitCode);
        return text;
    }
}
