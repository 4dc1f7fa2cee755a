using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace OnnxAudit.Cli;

/// <summary>
/// The one JSON contract of the verbs' <c>--json</c> output: an object with <c>$schema</c> (<see cref="SchemaId"/>, the
/// <c>$id</c> of schemas/cli.schema.json, which uses the shared definitions of schemas/report.schema.json), <c>verb</c>
/// and the verb's payload. Numbers are numbers; a non-finite number is written as null (as in report.json).
/// </summary>
internal static class VerbJson
{
    /// <summary>The <c>$id</c> of schemas/cli.schema.json.</summary>
    public const string SchemaId = "urn:onnx-audit:schema:cli:1.0";

    /// <summary>Serializer options of every verb's JSON.</summary>
    public static JsonSerializerOptions Options { get; } = new()
    {
        WriteIndented = true,
        // why: the output is read by people too; "+" and "'" stay readable (it is never embedded in HTML).
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Converters = { new JsonStringEnumConverter(), new FiniteDouble(), new FiniteSingle() },
    };

    /// <summary>Writes <paramref name="payload"/>'s properties after <c>$schema</c> and <c>verb</c> to the console's stdout.</summary>
    public static void Write(CliConsole console, string verb, object payload) => console.Out.WriteLine(ToText(verb, payload));

    /// <summary>The JSON text of <paramref name="payload"/> under the verb envelope.</summary>
    public static string ToText(string verb, object payload)
    {
        var node = JsonSerializer.SerializeToNode(payload, payload.GetType(), Options) as JsonObject
            ?? throw new InvalidOperationException($"the {verb} JSON payload is not an object");
        var result = new JsonObject { ["$schema"] = SchemaId, ["verb"] = verb };
        foreach (var name in node.Select(p => p.Key).ToList())
        {
            var value = node[name];
            node.Remove(name);
            result[name] = value;
        }
        return result.ToJsonString(Options);
    }

    private sealed class FiniteDouble : JsonConverter<double>
    {
        public override double Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => reader.GetDouble();

        public override void Write(Utf8JsonWriter writer, double value, JsonSerializerOptions options)
        {
            if (double.IsFinite(value)) writer.WriteNumberValue(value);
            else writer.WriteNullValue();
        }
    }

    private sealed class FiniteSingle : JsonConverter<float>
    {
        public override float Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => reader.GetSingle();

        public override void Write(Utf8JsonWriter writer, float value, JsonSerializerOptions options)
        {
            if (float.IsFinite(value)) writer.WriteNumberValue(value);
            else writer.WriteNullValue();
        }
    }
}
