using System.Text.Json;
using Json.Schema;

namespace OnnxAudit.Tests.Reporting;

/// <summary>
/// Validates JSON against the published schemas with a full JSON Schema implementation (JsonSchema.Net: draft 2020-12 for
/// schemas/report.schema.json and schemas/cli.schema.json, draft-07 for the official SARIF 2.1.0 schema). Both OnnxAudit
/// schemas are registered together, so cli.schema.json's references into report.schema.json resolve by <c>$id</c>.
/// </summary>
internal sealed class SchemaValidator
{
    private readonly JsonSchema _schema;
    private readonly string _id;
    private readonly BuildOptions _build;

    private SchemaValidator(JsonSchema schema, string id, BuildOptions build)
    {
        _schema = schema;
        _id = id;
        _build = build;
    }

    private static readonly Lazy<(BuildOptions Build, JsonSchema Report, JsonSchema Cli)> Published = new(() =>
    {
        var build = new BuildOptions { SchemaRegistry = new SchemaRegistry() };
        var report = JsonSchema.FromText(File.ReadAllText(Path.Combine(TestUtil.RepoPaths.Root, "schemas", "report.schema.json")), build);
        var cli = JsonSchema.FromText(File.ReadAllText(Path.Combine(TestUtil.RepoPaths.Root, "schemas", "cli.schema.json")), build);
        return (build, report, cli);
    });

    /// <summary>schemas/report.schema.json (report.json).</summary>
    public static SchemaValidator Report() => new(Published.Value.Report, OnnxAudit.Reporting.JsonReportRenderer.SchemaId, Published.Value.Build);

    /// <summary>schemas/cli.schema.json (every verb's --json).</summary>
    public static SchemaValidator Cli() => new(Published.Value.Cli, "urn:onnx-audit:schema:cli:1.0", Published.Value.Build);

    /// <summary>A schema given as text (e.g. the official SARIF schema), in a registry of its own.</summary>
    public static SchemaValidator FromText(string text, bool requireFormats = false)
    {
        var build = new BuildOptions { SchemaRegistry = new SchemaRegistry() };
        var schema = JsonSchema.FromText(text, build);
        return new SchemaValidator(schema, schema.BaseUri.ToString(), build) { _requireFormats = requireFormats };
    }

    private bool _requireFormats;

    /// <summary>The errors of <paramref name="instance"/> (empty when valid), one line each: location and message.</summary>
    public List<string> Validate(JsonElement instance) => Errors(_schema, instance, _requireFormats);

    /// <summary>Validates against the definition <c>#/$defs/<paramref name="def"/></c> of this schema.</summary>
    public List<string> ValidateDef(string def, JsonElement instance)
    {
        var refSchema = JsonSchema.FromText($$"""{ "$schema": "https://json-schema.org/draft/2020-12/schema", "$ref": "{{_id}}#/$defs/{{def}}" }""", _build);
        return Errors(refSchema, instance, _requireFormats);
    }

    private static List<string> Errors(JsonSchema schema, JsonElement instance, bool requireFormats)
    {
        var results = schema.Evaluate(instance, new EvaluationOptions { OutputFormat = OutputFormat.List, RequireFormatValidation = requireFormats });
        if (results.IsValid) return [];
        var errors = (results.Details ?? [])
            .Where(d => d.Errors is { Count: > 0 })
            .SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation} ({d.EvaluationPath}): {e.Key}: {e.Value}"))
            .ToList();
        if (errors.Count == 0) errors.Add("invalid (no detail reported)");
        return errors;
    }
}
