using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using OnnxAudit.Reporting;
using OnnxAudit.Reporting.Model;
using OnnxAudit.Tests.TestUtil;

namespace OnnxAudit.Tests.Reporting;

public sealed class JsonReportRendererTests(RenderedSampleFixture f) : IClassFixture<RenderedSampleFixture>
{

    private static SchemaValidator Schema() => SchemaValidator.Report();

    private static string Render(AuditReport r)
    {
        using var ms = new MemoryStream();
        new JsonReportRenderer().Render(r, ms);
        return System.Text.Encoding.UTF8.GetString(ms.ToArray());
    }

    [Fact]
    public void Json_SampleReport_ValidatesAgainstSchema()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(f.Json));
        var errors = Schema().Validate(doc.RootElement);
        Assert.True(errors.Count == 0, string.Join("\n", errors));
        Assert.Equal("2.0", doc.RootElement.GetProperty("schemaVersion").GetString());
        var types = doc.RootElement.GetProperty("sections").EnumerateArray()
            .SelectMany(s => s.GetProperty("blocks").EnumerateArray()).Select(b => b.GetProperty("type").GetString()).ToHashSet();
        Assert.True(types.SetEquals(["paragraph", "key-values", "table", "finding", "chart", "image-grid", "note"]), string.Join(",", types));
    }

    [Fact]
    public void Json_Validator_RejectsBrokenDocuments()
    {
        // The validator must be able to fail: unknown block type, missing property, wrong enum, extra property.
        var schema = Schema();
        var node = JsonNode.Parse(File.ReadAllText(f.Json))!;
        node["sections"]![0]!["blocks"]![0]!["type"] = "poem";
        Assert.NotEmpty(schema.Validate(JsonDocument.Parse(node.ToJsonString()).RootElement));

        node = JsonNode.Parse(File.ReadAllText(f.Json))!;
        node.AsObject().Remove("timing");
        Assert.NotEmpty(schema.Validate(JsonDocument.Parse(node.ToJsonString()).RootElement));

        node = JsonNode.Parse(File.ReadAllText(f.Json))!;
        node["executiveSummary"]![0]!["severity"] = "catastrophic";
        Assert.NotEmpty(schema.Validate(JsonDocument.Parse(node.ToJsonString()).RootElement));

        node = JsonNode.Parse(File.ReadAllText(f.Json))!;
        node["model"]!["colour"] = "blue";
        Assert.NotEmpty(schema.Validate(JsonDocument.Parse(node.ToJsonString()).RootElement));
    }

    [Fact]
    public void Json_TwoRunsWithSameInputs_IdenticalApartFromTiming()
    {
        var a = Render(SampleReport.Create(new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero)));
        var b = Render(SampleReport.Create(new DateTimeOffset(2026, 6, 6, 6, 6, 6, TimeSpan.FromHours(2))));
        Assert.NotEqual(a, b);
        static string WithoutTiming(string s)
        {
            var n = JsonNode.Parse(s)!.AsObject();
            n.Remove("timing");
            return n.ToJsonString();
        }
        Assert.Equal(WithoutTiming(a), WithoutTiming(b));
    }

    [Fact]
    public void Json_NumbersUseInvariantCulture_AndNonFiniteBecomesNull()
    {
        var old = CultureInfo.CurrentCulture;
        string german;
        try
        {
            CultureInfo.CurrentCulture = new CultureInfo("de-DE");
            german = Render(SampleReport.Create());
        }
        finally { CultureInfo.CurrentCulture = old; }
        Assert.Equal(Render(SampleReport.Create()), german);
        using var doc = JsonDocument.Parse(german);
        var chart = doc.RootElement.GetProperty("sections")[1].GetProperty("blocks").EnumerateArray().First(b => b.GetProperty("type").GetString() == "chart");
        var lenet = chart.GetProperty("series")[1].GetProperty("points");
        Assert.Equal(JsonValueKind.Null, lenet[2].GetProperty("y").ValueKind);   // NaN
        Assert.Equal(0.97, chart.GetProperty("series")[0].GetProperty("points")[1].GetProperty("y").GetDouble());
        Assert.Contains("\"y\": 0.97", german);
    }

    [Fact]
    public void Json_Images_AreEmbeddedBase64WithHashAndSize()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(f.Json));
        var grid = doc.RootElement.GetProperty("sections")[3].GetProperty("blocks")[1];
        Assert.Equal("image-grid", grid.GetProperty("type").GetString());
        var img = grid.GetProperty("rows")[0].GetProperty("images")[2];
        var bytes = Convert.FromBase64String(img.GetProperty("pngBase64").GetString()!);
        var expected = f.Report.Sections[3].Blocks.OfType<ImageGridBlock>().Single().Rows[0].Images[2].Png;
        Assert.Equal(expected, bytes);
        Assert.Equal(20, img.GetProperty("width").GetInt32());
        Assert.Equal(28, img.GetProperty("height").GetInt32());
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes)), img.GetProperty("sha256").GetString());
    }
}
