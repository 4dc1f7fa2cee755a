using System.Text.Json;
using System.Text.Json.Nodes;
using System.Xml.Linq;
using OnnxAudit.Tests.Reporting;
using OnnxAudit.Tests.TestUtil;

namespace OnnxAudit.Tests.Cli;

/// <summary>The real `report` verb: PDF text has every section and verdict, HTML parses and
/// has the same verdicts, JSON validates against its schema and is deterministic apart from the timing block,
/// and --fail-on sets the exit code.</summary>
public sealed class ReportCommandTests : IDisposable
{
    private readonly string _dir = RepoPaths.NewTempDir();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string Images => Path.Combine(RepoPaths.Samples, "fashion-mnist-test-2000-images-idx3-ubyte.gz");

    // why: tests attack one split point (the first) so that a full report stays a few seconds; the CLI default is all.
    private static readonly Dictionary<string, string> FirstSplit = new()
    {
        ["fcn-512"] = "/flatten/Flatten_output_0",
        ["lenet5"] = "/conv1/Conv_output_0",
    };

    private CliRunner.Result Report(string model, string outDir, params string[] extra) =>
        CliRunner.Run(["report", RepoPaths.Model(model), "--data", Images, "-o", outDir, "--quick", "--seed", "3", "--splits", FirstSplit[model], .. extra]);

    [Fact]
    public void Report_SameInputsAndSeed_IdenticalJsonApartFromTiming()
    {
        var outDir = Path.Combine(_dir, "r");
        var first = Report("fcn-512", outDir, "--formats", "json");
        Assert.True(first.ExitCode == 0, first.Stderr);
        var a = File.ReadAllText(Path.Combine(outDir, "report.json"));
        Directory.Delete(outDir, recursive: true);
        var second = Report("fcn-512", outDir, "--formats", "json");
        Assert.True(second.ExitCode == 0, second.Stderr);
        var b = File.ReadAllText(Path.Combine(outDir, "report.json"));
        Assert.Equal(WithoutTiming(a), WithoutTiming(b));

        // fcn-512 quick: every verdict is provisional with its budget, and the split verdict is not lower than MEDIUM
        // (the quick rule; with all three points, the quick run says HIGH like the full run: SplitVerdictQuickTests)
        using var doc = JsonDocument.Parse(a);
        var split = doc.RootElement.GetProperty("executiveSummary").EnumerateArray().Single(v => v.GetProperty("threat").GetString() == "Split-inference inversion");
        Assert.True(split.GetProperty("provisional").GetBoolean());
        Assert.Contains("300 white-box iterations", split.GetProperty("quickBudget").GetString(), StringComparison.Ordinal);
        Assert.Contains(split.GetProperty("severity").GetString(), new[] { "medium", "high" });
        Assert.Contains("quick run (provisional)", File.ReadAllText(Path.Combine(outDir, "report.json")), StringComparison.Ordinal);
    }

    private static string Tool(string tool, params string[] args)
    {
        using var p = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo(tool, args) { RedirectStandardOutput = true })!;
        var text = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        Assert.Equal(0, p.ExitCode);
        return text;
    }

    private static int PdfPages(string pdf) =>
        int.Parse(Tool("pdfinfo", pdf).Split('\n').First(l => l.StartsWith("Pages:", StringComparison.Ordinal))[6..].Trim(), System.Globalization.CultureInfo.InvariantCulture);

    // pdfimages -list prints two header lines, then one line per image
    private static int PdfImageCount(string pdf) => Tool("pdfimages", "-list", pdf).Split('\n', StringSplitOptions.RemoveEmptyEntries).Length - 2;

    private static string WithoutTiming(string json)
    {
        var node = JsonNode.Parse(json)!.AsObject();
        Assert.True(node.Remove("timing"), "report.json has no timing block");
        return node.ToJsonString();
    }

    [Fact]
    public void Report_PdfHtmlJson_CarrySectionsAndVerdicts()
    {
        var outDir = Path.Combine(_dir, "all");
        var r = Report("lenet5", outDir);
        Assert.True(r.ExitCode == 0, r.Stderr);
        var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "report.json"))).RootElement;
        var schema = SchemaValidator.Report();
        var errors = schema.Validate(json);
        Assert.True(errors.Count == 0, string.Join("\n", errors));

        var verdicts = json.GetProperty("executiveSummary").EnumerateArray()
            .Select(v => (Threat: v.GetProperty("threat").GetString()!, Severity: v.GetProperty("severity").GetString()!)).ToArray();
        Assert.Equal(3, verdicts.Length);
        var sections = json.GetProperty("sections").EnumerateArray().Select(s => s.GetProperty("title").GetString()!).ToArray();

        var pdfText = CliCommandTests.PdfText(Path.Combine(outDir, "report.pdf"));
        var flat = string.Join(' ', pdfText.Split((char[])[' ', '\n', '\r', '\t'], StringSplitOptions.RemoveEmptyEntries));
        foreach (var s in sections) Assert.Contains(s, flat, StringComparison.Ordinal);
        foreach (var v in verdicts) Assert.Contains(v.Threat, flat, StringComparison.Ordinal);
        Assert.Contains("Methodology", flat, StringComparison.Ordinal);
        Assert.True(PdfPages(Path.Combine(outDir, "report.pdf")) >= 8, "expected a multi-page report");
        // image grids (originals beside reconstructions) are embedded as images
        Assert.True(PdfImageCount(Path.Combine(outDir, "report.pdf")) >= 4, "expected reconstructed images in the PDF");
        Assert.Contains("Reproducibility", flat, StringComparison.Ordinal);

        var html = XDocument.Parse(File.ReadAllText(Path.Combine(outDir, "report.html")));
        var htmlText = string.Join(' ', html.Root!.Value.Split((char[])[' ', '\n', '\r', '\t'], StringSplitOptions.RemoveEmptyEntries));
        foreach (var v in verdicts) Assert.Contains(v.Threat, htmlText, StringComparison.Ordinal);
        foreach (var s in sections) Assert.Contains(s, htmlText, StringComparison.Ordinal);
    }

    [Fact]
    public void Report_FailOnHigh_FcnWithExclusiveNeurons_Exit1()
    {
        // fcn-512's federated verdict is HIGH (most batches of 8 are insecure and the analytic attack recovers them).
        var outDir = Path.Combine(_dir, "gate");
        var r = Report("fcn-512", outDir, "--formats", "json", "--fail-on", "high");
        Assert.True(r.ExitCode == 1, $"exit {r.ExitCode}: {r.Stderr}");
        Assert.Contains("highest severity is HIGH", r.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Report_FailOnUnknownLevel_Exit2()
    {
        var r = Report("fcn-512", Path.Combine(_dir, "x"), "--fail-on", "critical");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("critical", r.Stderr, StringComparison.Ordinal);
    }
}
