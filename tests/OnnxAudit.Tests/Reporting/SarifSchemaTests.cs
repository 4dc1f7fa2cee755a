using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using OnnxAudit.Reporting;
using OnnxAudit.Reporting.Model;
using OnnxAudit.Tests.TestUtil;

namespace OnnxAudit.Tests.Reporting;

/// <summary>report.sarif validates against the official SARIF 2.1.0 schema (sarif-2.1.0-rtm.5.json, the schema Microsoft
/// ships in the npm package @microsoft/jest-sarif). The schema is not committed (OASIS IPR policy, not an open-source
/// licence): tools/fetch-sarif-schema.sh puts it into tests/.cache/ (CI runs it; the test runs it when the file is missing)
/// and the test pins its SHA-256.</summary>
public sealed class SarifSchemaTests
{
    private const string Sha256 = "2d99159ae54a3eea97f81781cff48780548657c35949f4b7f25e99a2ba4de4f8";

    private static readonly Lazy<SchemaValidator> Schema = new(Load);

    private static SchemaValidator Load()
    {
        var path = Path.Combine(RepoPaths.Root, "tests", ".cache", "sarif-2.1.0-rtm.5.json");
        if (!File.Exists(path))
        {
            using var p = Process.Start(new ProcessStartInfo("bash", [Path.Combine(RepoPaths.Root, "tools", "fetch-sarif-schema.sh")])
                { RedirectStandardError = true, RedirectStandardOutput = true })!;
            var err = p.StandardError.ReadToEnd();
            p.WaitForExit();
            Assert.True(p.ExitCode == 0 && File.Exists(path), $"tools/fetch-sarif-schema.sh failed (needs npm and the npm registry): {err}");
        }
        var bytes = File.ReadAllBytes(path);
        Assert.Equal(Sha256, Convert.ToHexStringLower(SHA256.HashData(bytes)));
        // why: the file is a draft-04 schema; it uses only keywords whose meaning draft-07 kept (type, $ref to
        // #/definitions, properties, additionalProperties, items, required, enum, pattern, minimum, maximum, minItems,
        // uniqueItems, anyOf, oneOf, format, default), and no boolean exclusiveMinimum. Renaming draft-04's "id" to "$id"
        // and declaring draft-07 lets a draft-07 validator evaluate exactly the same constraints.
        var node = JsonNode.Parse(bytes)!.AsObject();
        Assert.Equal("http://json-schema.org/draft-04/schema#", node["$schema"]!.GetValue<string>());
        var keywords = new HashSet<string>();
        Collect(node, keywords);
        Assert.DoesNotContain("exclusiveMinimum", keywords);
        Assert.DoesNotContain("exclusiveMaximum", keywords);
        // ("$schema" and "$id" first: JsonSchema.Net reads the base URI before the other keywords)
        var draft07 = new JsonObject { ["$schema"] = "http://json-schema.org/draft-07/schema#", ["$id"] = node["id"]!.GetValue<string>() };
        foreach (var name in node.Select(p => p.Key).Where(k => k is not "$schema" and not "id").ToList())
        {
            var value = node[name];
            node.Remove(name);
            draft07[name] = value;
        }
        return SchemaValidator.FromText(draft07.ToJsonString(), requireFormats: true);
    }

    /// <summary>The errors of <paramref name="log"/> against the official SARIF 2.1.0 schema.</summary>
    internal static List<string> OfficialErrors(JsonElement log) => Schema.Value.Validate(log);

    private static void Collect(JsonNode? n, HashSet<string> keys)
    {
        if (n is JsonObject o) foreach (var (k, v) in o) { keys.Add(k); Collect(v, keys); }
        else if (n is JsonArray a) foreach (var v in a) Collect(v, keys);
    }

    private static JsonElement Render(AuditReport report)
    {
        using var ms = new MemoryStream();
        new SarifReportRenderer().Render(report, ms);
        return JsonDocument.Parse(ms.ToArray()).RootElement.Clone();
    }

    [Fact]
    public void Sarif_SampleReport_ValidatesAgainstOfficialSchema()
    {
        var sarif = Render(SampleReport.Create());
        var errors = Schema.Value.Validate(sarif);
        Assert.True(errors.Count == 0, string.Join("\n", errors));
        Assert.Empty(SarifChecks.Validate(sarif));
    }

    [Fact]
    public void Sarif_EverySeverityAndProvisional_ValidatesAgainstOfficialSchema()
    {
        var baseReport = SampleReport.Create();
        foreach (var severity in Enum.GetValues<Severity>())
        {
            var verdicts = baseReport.ExecutiveSummary.Select(v => v with { Severity = severity, QuickBudget = "quick", FullRunAdds = "more", NotApplicable = severity == Severity.NotAssessed }).ToList();
            var errors = Schema.Value.Validate(Render(baseReport with { ExecutiveSummary = verdicts }));
            Assert.True(errors.Count == 0, severity + ": " + string.Join("\n", errors));
        }
    }

    [Fact]
    public void OfficialSchema_RejectsBrokenLogs()
    {
        var sarif = Render(SampleReport.Create());
        List<string> ErrorsOf(Action<JsonObject> mutate)
        {
            var node = JsonNode.Parse(sarif.GetRawText())!.AsObject();
            mutate(node);
            using var doc = JsonDocument.Parse(node.ToJsonString());
            return Schema.Value.Validate(doc.RootElement);
        }
        static JsonObject Result(JsonObject log) => log["runs"]![0]!["results"]![0]!.AsObject();
        Assert.NotEmpty(ErrorsOf(n => n["version"] = "2.0.0"));
        Assert.NotEmpty(ErrorsOf(n => n.Remove("runs")));
        Assert.NotEmpty(ErrorsOf(n => Result(n)["level"] = "high"));
        Assert.NotEmpty(ErrorsOf(n => Result(n).Remove("message")));
        Assert.NotEmpty(ErrorsOf(n => n["runs"]![0]!["tool"]!["driver"]!.AsObject().Remove("name")));
        Assert.NotEmpty(ErrorsOf(n => n["runs"]![0]!["tool"]!["driver"]!["informationUri"] = "not a uri"));
    }
}
