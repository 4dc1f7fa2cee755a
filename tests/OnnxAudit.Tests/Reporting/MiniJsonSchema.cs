using System.Text.Json;

namespace OnnxAudit.Tests.Reporting;

/// <summary>
/// A minimal JSON Schema (draft 2020-12) validator for the keywords report.schema.json uses:
/// type (string or array), const, enum, required, properties, additionalProperties (bool or schema),
/// items, $ref to "#/$defs/…", oneOf. Unknown keywords fail loudly so the schema cannot silently
/// outgrow the validator.
/// </summary>
internal sealed class MiniJsonSchema(JsonElement root)
{
    private static readonly HashSet<string> Known =
    [
        "$schema", "$id", "title", "description", "$defs", "type", "const", "enum", "required",
        "properties", "additionalProperties", "items", "$ref", "oneOf",
    ];

    /// <summary>Validates <paramref name="instance"/> against the definition <c>#/$defs/<paramref name="def"/></c>.</summary>
    public List<string> ValidateDef(string def, JsonElement instance)
    {
        var errors = new List<string>();
        Check(root.GetProperty("$defs").GetProperty(def), instance, "$", errors);
        return errors;
    }

    /// <summary>The published report schema (schemas/report.schema.json).</summary>
    public static MiniJsonSchema Report() =>
        new(JsonDocument.Parse(File.ReadAllText(Path.Combine(TestUtil.RepoPaths.Root, "schemas", "report.schema.json"))).RootElement.Clone());

    public List<string> Validate(JsonElement instance)
    {
        var errors = new List<string>();
        Check(root, instance, "$", errors);
        return errors;
    }

    private void Check(JsonElement schema, JsonElement value, string path, List<string> errors)
    {
        if (schema.ValueKind == JsonValueKind.True) return;
        if (schema.ValueKind == JsonValueKind.False) { errors.Add($"{path}: not allowed"); return; }
        foreach (var p in schema.EnumerateObject())
            if (!Known.Contains(p.Name)) throw new NotSupportedException($"schema keyword '{p.Name}' at {path} is not supported by the test validator");

        if (schema.TryGetProperty("$ref", out var r))
        {
            var name = r.GetString()!;
            const string prefix = "#/$defs/";
            if (!name.StartsWith(prefix, StringComparison.Ordinal)) throw new NotSupportedException("$ref " + name);
            Check(root.GetProperty("$defs").GetProperty(name[prefix.Length..]), value, path, errors);
        }
        if (schema.TryGetProperty("type", out var type))
        {
            var types = type.ValueKind == JsonValueKind.Array ? type.EnumerateArray().Select(t => t.GetString()!).ToList() : [type.GetString()!];
            if (!types.Any(t => HasType(value, t))) { errors.Add($"{path}: expected {string.Join("|", types)}, got {value.ValueKind}"); return; }
        }
        if (schema.TryGetProperty("const", out var c) && !JsonElement.DeepEquals(c, value))
            errors.Add($"{path}: expected const {c.GetRawText()}, got {value.GetRawText()}");
        if (schema.TryGetProperty("enum", out var e) && !e.EnumerateArray().Any(x => JsonElement.DeepEquals(x, value)))
            errors.Add($"{path}: {value.GetRawText()} not in enum {e.GetRawText()}");
        if (schema.TryGetProperty("oneOf", out var oneOf))
        {
            var matches = oneOf.EnumerateArray().Count(s =>
            {
                var sub = new List<string>();
                Check(s, value, path, sub);
                return sub.Count == 0;
            });
            if (matches != 1) errors.Add($"{path}: matches {matches} of the oneOf schemas; expected exactly 1");
        }
        if (value.ValueKind == JsonValueKind.Object)
        {
            if (schema.TryGetProperty("required", out var req))
                foreach (var n in req.EnumerateArray())
                    if (!value.TryGetProperty(n.GetString()!, out _)) errors.Add($"{path}: missing required '{n.GetString()}'");
            schema.TryGetProperty("properties", out var props);
            foreach (var p in value.EnumerateObject())
            {
                if (props.ValueKind == JsonValueKind.Object && props.TryGetProperty(p.Name, out var ps))
                    Check(ps, p.Value, path + "." + p.Name, errors);
                else if (schema.TryGetProperty("additionalProperties", out var ap))
                    Check(ap, p.Value, path + "." + p.Name, errors);
            }
        }
        if (value.ValueKind == JsonValueKind.Array && schema.TryGetProperty("items", out var items))
        {
            var i = 0;
            foreach (var v in value.EnumerateArray()) Check(items, v, $"{path}[{i++}]", errors);
        }
    }

    private static bool HasType(JsonElement v, string t) => t switch
    {
        "object" => v.ValueKind == JsonValueKind.Object,
        "array" => v.ValueKind == JsonValueKind.Array,
        "string" => v.ValueKind == JsonValueKind.String,
        "boolean" => v.ValueKind is JsonValueKind.True or JsonValueKind.False,
        "null" => v.ValueKind == JsonValueKind.Null,
        "number" => v.ValueKind == JsonValueKind.Number,
        "integer" => v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out _),
        _ => throw new NotSupportedException("type " + t),
    };
}
