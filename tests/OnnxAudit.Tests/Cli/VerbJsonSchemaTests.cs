using System.Text.Json;
using System.Text.Json.Nodes;
using OnnxAudit.Tests.Reporting;
using OnnxAudit.Tests.TestUtil;

namespace OnnxAudit.Tests.Cli;

/// <summary>One JSON contract: every verb's --json output validates against schemas/cli.schema.json (which uses
/// report.schema.json's verdict) with a full JSON Schema validator, and the validator rejects broken documents.</summary>
public sealed class VerbJsonSchemaTests : IDisposable
{
    private readonly string _dir = RepoPaths.NewTempDir();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string Data => Path.Combine(RepoPaths.Samples, "fashion-mnist-test-2000-images-idx3-ubyte.gz");

    // why: small budgets keep the whole sweep a few seconds; the payload's shape does not depend on the budget.
    private static readonly string[] VerbNames = ["inspect", "gradient", "exclusivity", "rconv", "split", "harden", "attack gradient", "init", "report"];

    public static TheoryData<string> Verbs => new(VerbNames);

    private string[] Args(string verb) => verb switch
    {
        "inspect" => ["inspect", RepoPaths.Model("lenet5"), "--json"],
        "gradient" => ["gradient", RepoPaths.Model("fcn-512"), "--data", Data, "-o", Path.Combine(_dir, "g"), "-b", "2", "--json"],
        "exclusivity" => ["exclusivity", RepoPaths.Model("fcn-512"), "--data", Data, "--batches", "10", "--json"],
        "rconv" => ["rconv", RepoPaths.Model("lenet5"), "--data", Data, "-n", "1", "--json"],
        "split" => ["split", RepoPaths.Model("fcn-512"), "--data", Data, "--splits", "/flatten/Flatten_output_0", "--attacks", "whitebox",
            "--quick", "-n", "2", "--iterations", "5", "--json"],
        "harden" => ["harden", RepoPaths.Model("fcn-512"), "--exclusivity-reduction", "-o", Path.Combine(_dir, "h.onnx"), "--data", Data, "--json"],
        "attack gradient" => ["attack", "gradient", RepoPaths.Model("fcn-512"), "--data", Data, "-o", Path.Combine(_dir, "a"), "--batches", "1", "--json"],
        "init" => ["init", RepoPaths.Model("lenet5"), "--data", Data, "-o", Path.Combine(_dir, "c.yaml"), "--json"],
        "report" => ["report", RepoPaths.Model("fcn-512"), "--data", Data, "-o", Path.Combine(_dir, "r"), "--quick", "--splits", "/flatten/Flatten_output_0",
            "--formats", "json", "--json"],
        _ => throw new ArgumentException(verb),
    };

    [Theory]
    [MemberData(nameof(Verbs))]
    public void Verb_Json_ValidatesAgainstCliSchema(string verb)
    {
        var r = CliRunner.Run(Args(verb));
        Assert.True(r.ExitCode is 0 or 1, $"exit {r.ExitCode}: {r.Stderr}");
        using var doc = JsonDocument.Parse(r.Stdout);
        Assert.Equal("urn:onnx-audit:schema:cli:1.0", doc.RootElement.GetProperty("$schema").GetString());
        Assert.Equal(verb, doc.RootElement.GetProperty("verb").GetString());
        var errors = SchemaValidator.Cli().Validate(doc.RootElement);
        Assert.True(errors.Count == 0, string.Join("\n", errors));
        Assert.DoesNotContain("NaN", r.Stdout, StringComparison.Ordinal); // non-finite numbers are null, never strings
        if (verb == "split") // --attacks whitebox alone: the verdict says what it does not cover
            Assert.Contains("Only the white-box attack was run (--attacks); black-box and query-free were not", doc.RootElement.GetProperty("verdict").GetProperty("evidence").GetString(), StringComparison.Ordinal);
        if (verb == "attack gradient") // summary.json is the same document
            Assert.Equal(r.Stdout.Trim(), File.ReadAllText(Path.Combine(_dir, "a", "summary.json")).Trim());
    }

    [Fact]
    public void Harden_NoSampleRecovered_SaysSoInsteadOfNaN()
    {
        var r = CliRunner.Run("harden", RepoPaths.Model("fcn-512"), "--exclusivity-reduction", "-o", Path.Combine(_dir, "h2.onnx"), "--data", Data);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.DoesNotContain("NaN", r.Stdout, StringComparison.Ordinal);
        Assert.Contains("0 samples recovered at PSNR >= 30 dB, no sample reconstructed, so no mean PSNR", r.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Schema_ListsEveryVerbThatHasJson()
    {
        using var schema = JsonDocument.Parse(File.ReadAllText(Path.Combine(RepoPaths.Root, "schemas", "cli.schema.json")));
        var listed = schema.RootElement.GetProperty("properties").GetProperty("verb").GetProperty("enum").EnumerateArray().Select(e => e.GetString()!).Order().ToList();
        Assert.Equal(VerbNames.Order().ToList(), listed);
        // every verb of the CLI offers --json (attack through its subcommand)
        var root = OnnxAudit.Cli.Commands.CommandCatalog.Create(new OnnxAudit.Cli.CliConsole(TextWriter.Null, TextWriter.Null, interactive: false)).ToList();
        foreach (var c in root)
        {
            var leaf = c.Subcommands.Count > 0 ? c.Subcommands.Single() : c;
            Assert.True(leaf.Options.Any(o => o.Name == "--json"), $"{c.Name} has no --json");
        }
    }

    [Fact]
    public void Validator_RejectsBrokenVerbDocuments()
    {
        var r = CliRunner.Run(Args("gradient"));
        Assert.True(r.ExitCode == 0, r.Stderr);
        var schema = SchemaValidator.Cli();
        List<string> ErrorsOf(Action<JsonObject> mutate)
        {
            var node = JsonNode.Parse(r.Stdout)!.AsObject();
            mutate(node);
            using var doc = JsonDocument.Parse(node.ToJsonString());
            return schema.Validate(doc.RootElement);
        }
        Assert.Empty(ErrorsOf(_ => { }));
        Assert.NotEmpty(ErrorsOf(n => n.Remove("loss")));                          // required member missing
        Assert.NotEmpty(ErrorsOf(n => n["loss"] = "NaN"));                         // a number written as a string
        Assert.NotEmpty(ErrorsOf(n => n["verb"] = "nosuch"));                      // unknown verb
        Assert.NotEmpty(ErrorsOf(n => n["extra"] = 1));                            // closed payload
        Assert.NotEmpty(ErrorsOf(n => n["$schema"] = "urn:onnx-audit:schema:cli:0.9"));
        Assert.NotEmpty(ErrorsOf(n => n["parameters"]![0]!["shape"] = new JsonArray(1.5))); // integer expected
        Assert.NotEmpty(ErrorsOf(n => n["verb"] = "inspect"));                    // a gradient payload is not an inspect payload
    }

    [Fact]
    public void Validator_RejectsBadVerdictAcrossDocuments()
    {
        var r = CliRunner.Run(Args("exclusivity"));
        Assert.True(r.ExitCode == 0, r.Stderr);
        var node = JsonNode.Parse(r.Stdout)!.AsObject();
        node["verdict"]!["severity"] = "High"; // one spelling: lower case (the verdict definition lives in report.schema.json)
        using var doc = JsonDocument.Parse(node.ToJsonString());
        var errors = SchemaValidator.Cli().Validate(doc.RootElement);
        Assert.Contains(errors, e => e.Contains("/verdict/severity", StringComparison.Ordinal));
    }
}
