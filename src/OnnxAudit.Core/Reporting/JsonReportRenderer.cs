using System.Globalization;
using System.Security.Cryptography;
using System.Text.Encodings.Web;
using System.Text.Json;
using OnnxAudit.Reporting.Model;

namespace OnnxAudit.Reporting;

/// <summary>
/// Writes report.json (schema <c>schemas/report.schema.json</c>, <c>$id</c> <see cref="SchemaId"/>, <c>schemaVersion</c> "2.0").
/// Properties are written in a fixed order, numbers in invariant culture (shortest round-trip form),
/// non-finite numbers as null, optional values as explicit null. Everything that varies between two
/// runs with the same inputs (timestamps, durations) is in the top-level <c>timing</c> object, so two
/// such runs give byte-identical JSON once <c>timing</c> is removed.
/// Images are embedded as base64 PNG (<c>pngBase64</c>) with their SHA-256, so the file is self-contained.
/// </summary>
internal sealed class JsonReportRenderer : IReportRenderer
{
    /// <summary>Version of the JSON layout; bump on any incompatible change.</summary>
    // 2.0: "$schema" references the schema; verdicts carry provisional / quickBudget / fullRunAdds / notApplicable;
    // wall-clock figures only in "timing".
    public const string SchemaVersion = "2.0";

    /// <summary>The schema's <c>$id</c>, written as report.json's <c>$schema</c>.</summary>
    // why: a URN, not a URL: the project publishes no web site, and a placeholder URL would name a host it does not own.
    // The schema itself ships in the repository (schemas/) and in the tool package (schemas/report.schema.json).
    public const string SchemaId = "urn:onnx-audit:schema:report:" + SchemaVersion;

    /// <inheritdoc/>
    public string FileName => "report.json";

    /// <inheritdoc/>
    public void Render(AuditReport report, Stream output)
    {
        var options = new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
        using var w = new Utf8JsonWriter(output, options);
        w.WriteStartObject();
        w.WriteString("$schema", SchemaId);
        w.WriteString("schemaVersion", SchemaVersion);
        w.WriteStartObject("generator");
        w.WriteString("name", "OnnxAudit");
        w.WriteString("version", ReportInfo.ToolVersion);
        w.WriteEndObject();
        w.WriteString("title", report.Title);
        WriteModel(w, report.Model);
        w.WriteString("highestSeverity", report.HighestSeverity().JsonName());
        w.WriteStartArray("executiveSummary");
        foreach (var v in report.ExecutiveSummary) WriteVerdict(w, v);
        w.WriteEndArray();
        w.WriteStartArray("sections");
        foreach (var s in report.Sections)
        {
            w.WriteStartObject();
            w.WriteString("id", s.Id);
            w.WriteString("title", s.Title);
            w.WriteStartArray("blocks");
            foreach (var b in s.Blocks) WriteBlock(w, b);
            w.WriteEndArray();
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteStartObject("methodology");
        WriteStrings(w, "paragraphs", report.Methodology.Paragraphs);
        w.WriteStartArray("references");
        foreach (var c in report.Methodology.References)
        {
            w.WriteStartObject();
            w.WriteString("key", c.Key);
            w.WriteString("text", c.Text);
            WriteNullable(w, "url", c.Url);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
        WriteKeyValues(w, "reproducibility", report.Reproducibility.Items);
        w.WriteStartObject("timing");
        w.WriteString("started", report.Timing.Started.ToString("o", CultureInfo.InvariantCulture));
        w.WriteString("finished", report.Timing.Finished.ToString("o", CultureInfo.InvariantCulture));
        WriteNumber(w, "totalSeconds", report.Timing.Total.TotalSeconds);
        w.WriteStartArray("stages");
        foreach (var t in report.Timing.Stages)
        {
            w.WriteStartObject();
            w.WriteString("stage", t.Stage);
            WriteNumber(w, "seconds", t.Duration.TotalSeconds);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
        w.WriteEndObject();
        w.Flush();
    }

    /// <summary>One executive-summary entry (threat, severity, evidence, actions, sectionId): the verdict object of
    /// report.json, also printed by each single-audit verb's <c>--json</c>.</summary>
    public static void WriteVerdict(Utf8JsonWriter w, ThreatVerdict v)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(v);
        w.WriteStartObject();
        w.WriteString("threat", v.Threat);
        w.WriteString("severity", v.Severity.JsonName());
        w.WriteBoolean("provisional", v.Provisional);
        WriteNullable(w, "quickBudget", v.QuickBudget);
        WriteNullable(w, "fullRunAdds", v.FullRunAdds);
        w.WriteBoolean("notApplicable", v.NotApplicable);
        WriteNullable(w, "notAssessedPart", v.NotAssessedPart);
        w.WriteString("evidence", v.Evidence);
        WriteStrings(w, "actions", v.Actions);
        WriteNullable(w, "sectionId", v.SectionId);
        w.WriteEndObject();
    }

    /// <summary><see cref="WriteVerdict"/> as a JSON node (for embedding in a verb's <c>--json</c> output).</summary>
    public static System.Text.Json.Nodes.JsonNode VerdictNode(ThreatVerdict v)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms)) WriteVerdict(w, v);
        return System.Text.Json.Nodes.JsonNode.Parse(ms.ToArray())!;
    }

    private static void WriteModel(Utf8JsonWriter w, ModelCard m)
    {
        w.WriteStartObject("model");
        w.WriteString("name", m.Name);
        w.WriteString("path", m.Path);
        w.WriteString("sha256", m.Sha256);
        w.WriteString("producer", m.Producer);
        w.WriteStartArray("opsets");
        foreach (var o in m.Opsets)
        {
            w.WriteStartObject();
            w.WriteString("domain", o.Domain);
            w.WriteNumber("version", o.Version);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteNumber("parameters", m.Parameters);
        WriteSignatures(w, "inputs", m.Inputs);
        WriteSignatures(w, "outputs", m.Outputs);
        WriteKeyValues(w, "extra", m.Extra);
        w.WriteEndObject();
    }

    private static void WriteSignatures(Utf8JsonWriter w, string name, IReadOnlyList<TensorSignature> sigs)
    {
        w.WriteStartArray(name);
        foreach (var s in sigs)
        {
            w.WriteStartObject();
            w.WriteString("name", s.Name);
            w.WriteString("elementType", s.ElementType);
            WriteStrings(w, "shape", s.Shape);
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    private static void WriteBlock(Utf8JsonWriter w, ReportBlock block)
    {
        w.WriteStartObject();
        w.WriteString("type", block.TypeName);
        switch (block)
        {
            case ParagraphBlock p:
                w.WriteStartArray("runs");
                foreach (var r in p.Runs)
                {
                    w.WriteStartObject();
                    w.WriteString("text", r.Text);
                    w.WriteBoolean("bold", r.Bold);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                break;
            case KeyValueBlock kv:
                WriteNullable(w, "caption", kv.Caption);
                WriteKeyValues(w, "items", kv.Items);
                break;
            case TableBlock t:
                WriteNullable(w, "caption", t.Caption);
                w.WriteStartArray("columns");
                foreach (var c in t.Columns)
                {
                    w.WriteStartObject();
                    w.WriteString("header", c.Header);
                    w.WriteString("alignment", c.Alignment.ToString().ToLowerInvariant());
                    WriteNumber(w, "relativeWidth", c.RelativeWidth);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                w.WriteStartArray("rows");
                foreach (var row in t.Rows)
                {
                    w.WriteStartArray();
                    foreach (var cell in row)
                    {
                        w.WriteStartObject();
                        w.WriteString("text", cell.Text);
                        WriteNullable(w, "severity", cell.Severity?.JsonName());
                        if (cell.Value is { } value)
                        {
                            WriteNumber(w, "value", value);
                            if (cell.Lower is { } lo) WriteNumber(w, "lower", lo);
                            if (cell.Upper is { } hi) WriteNumber(w, "upper", hi);
                            if (cell.Unit is { } unit) w.WriteString("unit", unit);
                        }
                        w.WriteEndObject();
                    }
                    w.WriteEndArray();
                }
                w.WriteEndArray();
                break;
            case FindingBlock f:
                w.WriteString("severity", f.Severity.JsonName());
                w.WriteString("title", f.Title);
                w.WriteString("evidence", f.Evidence);
                w.WriteString("recommendation", f.Recommendation);
                w.WriteString("rule", f.Rule);
                break;
            case ChartBlock c:
                w.WriteString("title", c.Title);
                w.WriteString("kind", c.Kind.ToString().ToLowerInvariant());
                w.WriteString("xAxisTitle", c.XAxisTitle);
                w.WriteString("yAxisTitle", c.YAxisTitle);
                w.WriteBoolean("logX", c.LogX);
                WriteNumber(w, "yMin", c.YMin);
                WriteNumber(w, "yMax", c.YMax);
                w.WriteStartArray("series");
                foreach (var s in c.Series)
                {
                    w.WriteStartObject();
                    w.WriteString("name", s.Name);
                    w.WriteStartArray("points");
                    foreach (var p in s.Points)
                    {
                        w.WriteStartObject();
                        WriteNumber(w, "x", p.X);
                        WriteNumber(w, "y", p.Y);
                        WriteNullable(w, "label", p.Label);
                        w.WriteEndObject();
                    }
                    w.WriteEndArray();
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                w.WriteStartArray("thresholds");
                foreach (var t in c.Thresholds)
                {
                    w.WriteStartObject();
                    WriteNumber(w, "y", t.Y);
                    w.WriteString("label", t.Label);
                    WriteNullable(w, "severity", t.Severity?.JsonName());
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                break;
            case ImageGridBlock g:
                w.WriteString("caption", g.Caption);
                WriteStrings(w, "columnLabels", g.ColumnLabels);
                w.WriteStartArray("rows");
                foreach (var r in g.Rows)
                {
                    w.WriteStartObject();
                    w.WriteString("label", r.Label);
                    w.WriteStartArray("images");
                    foreach (var img in r.Images)
                    {
                        PngInfo.TryRead(img.Png, out var width, out var height);
                        w.WriteStartObject();
                        WriteNullable(w, "caption", img.Caption);
                        w.WriteNumber("width", width);
                        w.WriteNumber("height", height);
                        w.WriteString("sha256", Convert.ToHexStringLower(SHA256.HashData(img.Png)));
                        w.WriteString("pngBase64", Convert.ToBase64String(img.Png));
                        w.WriteEndObject();
                    }
                    w.WriteEndArray();
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                break;
            case NoteBlock n:
                w.WriteString("kind", n.Kind.ToString().ToLowerInvariant());
                w.WriteString("text", n.Text);
                break;
            default:
                throw new NotSupportedException($"Block type {block.GetType().Name} has no JSON form.");
        }
        w.WriteEndObject();
    }

    private static void WriteKeyValues(Utf8JsonWriter w, string name, IReadOnlyList<KeyValue> items)
    {
        w.WriteStartArray(name);
        foreach (var kv in items)
        {
            w.WriteStartObject();
            w.WriteString("key", kv.Key);
            w.WriteString("value", kv.Value);
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    private static void WriteStrings(Utf8JsonWriter w, string name, IReadOnlyList<string> items)
    {
        w.WriteStartArray(name);
        foreach (var s in items) w.WriteStringValue(s);
        w.WriteEndArray();
    }

    private static void WriteNullable(Utf8JsonWriter w, string name, string? value)
    {
        if (value is null) w.WriteNull(name);
        else w.WriteString(name, value);
    }

    // why: JSON has no NaN/Infinity; a non-finite measurement (e.g. PSNR of a perfect reconstruction)
    // is written as null so that the file stays standard JSON.
    private static void WriteNumber(Utf8JsonWriter w, string name, double? value)
    {
        if (value is { } v && double.IsFinite(v)) w.WriteNumber(name, v);
        else w.WriteNull(name);
    }
}
