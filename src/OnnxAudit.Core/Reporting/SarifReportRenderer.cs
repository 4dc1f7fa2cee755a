using System.Text.Encodings.Web;
using System.Text.Json;
using OnnxAudit.Reporting.Model;

namespace OnnxAudit.Reporting;

/// <summary>
/// Writes report.sarif: SARIF 2.1.0 (OASIS) with one rule per threat and one result per finding (each assessed threat's
/// verdict; a not-assessed threat is a result of kind "review", a NONE verdict of kind "pass"), located at the model
/// file, so GitHub or Azure DevOps code scanning shows the audit beside other security findings. Deterministic: no
/// wall-clock figures. Stateless.
/// </summary>
internal sealed class SarifReportRenderer : IReportRenderer
{
    /// <summary>The SARIF version written.</summary>
    public const string Version = "2.1.0";

    /// <summary>The SARIF 2.1.0 schema URI written as <c>$schema</c>.</summary>
    public const string SchemaUri = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

    /// <inheritdoc/>
    public string FileName => "report.sarif";

    /// <summary>The rule id of a threat, e.g. "ONNXAUDIT-SPLIT".</summary>
    public static string RuleId(string threat) => threat switch
    {
        Audits.Threats.Federated => "ONNXAUDIT-FEDERATED",
        Audits.Threats.Convolutional => "ONNXAUDIT-RCONV",
        Audits.Threats.Split => "ONNXAUDIT-SPLIT",
        _ => "ONNXAUDIT-" + new string([.. threat.ToUpperInvariant().Where(char.IsLetterOrDigit)]),
    };

    /// <summary>SARIF level of a severity (error / warning / note / none).</summary>
    public static string Level(Severity s) => s switch
    {
        Severity.High => "error",
        Severity.Medium => "warning",
        Severity.Low => "note",
        _ => "none",
    };

    // GitHub code scanning reads properties.security-severity (0–10) to rank security alerts.
    private static string SecuritySeverity(Severity s) => s switch
    {
        Severity.High => "8.0",
        Severity.Medium => "5.0",
        Severity.Low => "2.0",
        _ => "0.0",
    };

    /// <inheritdoc/>
    public void Render(AuditReport report, Stream output)
    {
        ArgumentNullException.ThrowIfNull(report);
        var options = new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
        using var w = new Utf8JsonWriter(output, options);
        var uri = report.Model.Path.Replace('\\', '/');
        w.WriteStartObject();
        w.WriteString("$schema", SchemaUri);
        w.WriteString("version", Version);
        w.WriteStartArray("runs");
        w.WriteStartObject();
        w.WriteStartObject("tool");
        w.WriteStartObject("driver");
        w.WriteString("name", "OnnxAudit");
        w.WriteString("semanticVersion", ReportInfo.ToolVersion);
        w.WriteStartArray("rules");
        foreach (var v in report.ExecutiveSummary)
        {
            w.WriteStartObject();
            w.WriteString("id", RuleId(v.Threat));
            w.WriteString("name", new string([.. v.Threat.Where(char.IsLetterOrDigit)]));
            w.WriteStartObject("shortDescription");
            w.WriteString("text", v.Threat);
            w.WriteEndObject();
            var finding = Finding(report, v);
            w.WriteStartObject("fullDescription");
            w.WriteString("text", finding?.Rule ?? v.Threat);
            w.WriteEndObject();
            w.WriteStartObject("properties");
            w.WriteStartArray("tags");
            w.WriteStringValue("security");
            w.WriteStringValue("privacy");
            w.WriteEndArray();
            w.WriteEndObject();
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
        w.WriteEndObject();
        w.WriteStartArray("artifacts");
        w.WriteStartObject();
        w.WriteStartObject("location");
        w.WriteString("uri", uri);
        w.WriteEndObject();
        w.WriteStartObject("hashes");
        w.WriteString("sha-256", report.Model.Sha256);
        w.WriteEndObject();
        w.WriteEndObject();
        w.WriteEndArray();
        w.WriteStartArray("results");
        for (var i = 0; i < report.ExecutiveSummary.Count; i++)
        {
            var v = report.ExecutiveSummary[i];
            var finding = Finding(report, v);
            w.WriteStartObject();
            w.WriteString("ruleId", RuleId(v.Threat));
            w.WriteNumber("ruleIndex", i);
            var kind = v.Severity switch { Severity.NotAssessed => v.NotApplicable ? "notApplicable" : "review", Severity.None => "pass", _ => "fail" };
            w.WriteString("kind", kind);
            w.WriteString("level", kind == "fail" ? Level(v.Severity) : "none");
            w.WriteStartObject("message");
            var text = $"{v.Threat}: {v.DisplayLabel}. {v.Evidence}";
            if (finding is not null) text += " Recommendation: " + finding.Recommendation;
            w.WriteString("text", text);
            w.WriteEndObject();
            w.WriteStartArray("locations");
            w.WriteStartObject();
            w.WriteStartObject("physicalLocation");
            w.WriteStartObject("artifactLocation");
            w.WriteString("uri", uri);
            w.WriteNumber("index", 0);
            w.WriteEndObject();
            w.WriteEndObject();
            w.WriteEndObject();
            w.WriteEndArray();
            w.WriteStartObject("partialFingerprints");
            w.WriteString("onnxAuditModelThreat/v1", $"{report.Model.Sha256}:{RuleId(v.Threat)}");
            w.WriteEndObject();
            w.WriteStartObject("properties");
            w.WriteString("severity", v.Severity.JsonName());
            w.WriteString("security-severity", SecuritySeverity(v.Severity));
            w.WriteBoolean("provisional", v.Provisional);
            if (v.SectionId is not null) w.WriteString("sectionId", v.SectionId);
            w.WriteEndObject();
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
        w.WriteEndArray();
        w.WriteEndObject();
        w.Flush();
    }

    private static FindingBlock? Finding(AuditReport report, ThreatVerdict v) =>
        report.Sections.Where(s => s.Id == v.SectionId).SelectMany(s => s.Blocks).OfType<FindingBlock>().FirstOrDefault();
}
