using System.Text.Json;

namespace OnnxAudit.Tests.Reporting;

/// <summary>
/// The required structure of SARIF 2.1.0 (OASIS Standard, schema sarif-schema-2.1.0.json), checked by hand: the schema
/// file is not committed (it is published under OASIS's IPR policy rather than an open-source licence, so copying it into
/// this MIT repository was avoided). Checked: sarifLog requires "version" = "2.1.0" and "runs" (array); run requires
/// "tool"; tool requires "driver"; toolComponent requires "name"; reportingDescriptor (rule) requires "id"; result
/// requires "message", and message requires "text" or "id"; result "level" ∈ {none, note, warning, error}, "kind" ∈
/// {notApplicable, pass, fail, review, open, informational}, and a level other than "none" only with kind "fail";
/// "ruleIndex" indexes driver.rules with the same id; locations[].physicalLocation.artifactLocation.uri is a string;
/// additional properties of result objects go in "properties" (a property bag).
/// </summary>
internal static class SarifChecks
{
    private static readonly HashSet<string> Levels = ["none", "note", "warning", "error"];
    private static readonly HashSet<string> Kinds = ["notApplicable", "pass", "fail", "review", "open", "informational"];

    // result properties defined by SARIF 2.1.0 §3.27 (subset sufficient to reject unknown ones we might write)
    private static readonly HashSet<string> ResultProperties =
    [
        "guid", "correlationGuid", "ruleId", "ruleIndex", "rule", "taxa", "kind", "level", "message", "locations", "analysisTarget",
        "webRequest", "webResponse", "fingerprints", "partialFingerprints", "codeFlows", "graphs", "graphTraversals", "stacks",
        "relatedLocations", "suppressions", "baselineState", "rank", "attachments", "workItemUris", "hostedViewerUri", "provenance",
        "fixes", "occurrenceCount", "properties",
    ];

    public static List<string> Validate(JsonElement log)
    {
        var e = new List<string>();
        if (!log.TryGetProperty("version", out var v) || v.GetString() != "2.1.0") e.Add("$.version must be \"2.1.0\"");
        if (!log.TryGetProperty("runs", out var runs) || runs.ValueKind != JsonValueKind.Array) { e.Add("$.runs must be an array"); return e; }
        var ri = 0;
        foreach (var run in runs.EnumerateArray())
        {
            var path = $"$.runs[{ri++}]";
            if (!run.TryGetProperty("tool", out var tool) || !tool.TryGetProperty("driver", out var driver)) { e.Add(path + ".tool.driver is required"); continue; }
            if (!driver.TryGetProperty("name", out var name) || name.ValueKind != JsonValueKind.String) e.Add(path + ".tool.driver.name is required");
            var ruleIds = new List<string>();
            if (driver.TryGetProperty("rules", out var rules))
                foreach (var rule in rules.EnumerateArray())
                {
                    if (!rule.TryGetProperty("id", out var id) || id.ValueKind != JsonValueKind.String) e.Add(path + ": a rule has no id");
                    else ruleIds.Add(id.GetString()!);
                }
            if (!run.TryGetProperty("results", out var results)) continue;
            var i = 0;
            foreach (var r in results.EnumerateArray())
            {
                var rp = $"{path}.results[{i++}]";
                foreach (var p in r.EnumerateObject()) if (!ResultProperties.Contains(p.Name)) e.Add($"{rp}.{p.Name} is not a SARIF result property");
                if (!r.TryGetProperty("message", out var msg) || !(msg.TryGetProperty("text", out _) || msg.TryGetProperty("id", out _))) e.Add(rp + ".message.text is required");
                var level = r.TryGetProperty("level", out var l) ? l.GetString()! : "warning";
                var kind = r.TryGetProperty("kind", out var k) ? k.GetString()! : "fail";
                if (!Levels.Contains(level)) e.Add($"{rp}.level '{level}' is not a SARIF level");
                if (!Kinds.Contains(kind)) e.Add($"{rp}.kind '{kind}' is not a SARIF kind");
                if (kind != "fail" && level != "none") e.Add($"{rp}: level must be none when kind is {kind}");
                if (r.TryGetProperty("ruleIndex", out var idx))
                {
                    var n = idx.GetInt32();
                    if (n < 0 || n >= ruleIds.Count) e.Add($"{rp}.ruleIndex {n} is outside driver.rules");
                    else if (r.TryGetProperty("ruleId", out var rid) && rid.GetString() != ruleIds[n]) e.Add($"{rp}.ruleId does not match rules[{n}].id");
                }
                if (r.TryGetProperty("locations", out var locs))
                    foreach (var loc in locs.EnumerateArray())
                        if (!loc.TryGetProperty("physicalLocation", out var pl) || !pl.TryGetProperty("artifactLocation", out var al)
                            || !al.TryGetProperty("uri", out var uri) || uri.ValueKind != JsonValueKind.String)
                            e.Add(rp + ": location without physicalLocation.artifactLocation.uri");
            }
        }
        return e;
    }
}
