using System.Globalization;
using System.Text.Json;
using OnnxAudit.Data;

namespace OnnxAudit.Autodiff;

/// <summary>Writes a <see cref="FederatedGradientResult"/> as files for external tools.</summary>
public static class GradientExport
{
    /// <summary>
    /// Writes <c>&lt;sanitized initializer name&gt;.npy</c> (float32, the parameter's shape; '/', ':' and other path
    /// characters become '_'), <c>loss.txt</c> (invariant culture, round-trip) and <c>batch.json</c>
    /// ({"indices": [...], "labels": [...], "loss": x, "files": {name: file}}) into <paramref name="dir"/> (created if
    /// needed). Each file is written atomically.
    /// </summary>
    /// <exception cref="Errors.OnnxAuditException">Two parameter names sanitize to the same file name.</exception>
    public static void WriteNpy(string dir, FederatedGradientResult result, IReadOnlyList<int> indices, IReadOnlyList<long> labels)
    {
        ArgumentNullException.ThrowIfNull(result);
        var files = new Dictionary<string, string>(StringComparer.Ordinal);
        var taken = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { "loss.txt", "batch.json" };
        // why: every file name is decided before anything is written, so a collision leaves no partial output.
        foreach (var p in result.Parameters)
        {
            var file = GradientNames.Sanitize(p.Name) + ".npy";
            if (!taken.Add(file))
                throw new Errors.OnnxAuditException($"{dir}: parameters '{p.Name}' and another one both map to file '{file}'; rename one initializer in the model.");
            files[p.Name] = file;
        }
        Directory.CreateDirectory(dir);
        foreach (var p in result.Parameters) NpyWriter.Write(Path.Combine(dir, files[p.Name]), p.Values, p.Dims);
        WriteAtomic(Path.Combine(dir, "loss.txt"), result.Loss.ToString("R", CultureInfo.InvariantCulture) + "\n");
        // why: JSON has no NaN/Infinity (the serializer throws on them); a corrupted weight can make the loss or a
        // gradient non-finite, which is a finding to report (null plus the reason), not a crash.
        double? loss = double.IsFinite(result.Loss) ? result.Loss : null;
        var note = NonFiniteNote(result);
        var json = JsonSerializer.Serialize(new { indices, labels, loss, non_finite = note, files }, new JsonSerializerOptions { WriteIndented = true });
        WriteAtomic(Path.Combine(dir, "batch.json"), json + "\n");
    }

    /// <summary>"the model produced non-finite values: loss NaN, …; check the weights for NaN/Inf" when the loss or a
    /// gradient entry is NaN or ±∞; null when everything is finite. Printed by the CLI and written into batch.json.</summary>
    public static string? NonFiniteNote(FederatedGradientResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var nonFinite = result.Parameters.Where(p => !TensorIsFinite(p.Values)).Select(p => p.Name).ToList();
        if (double.IsFinite(result.Loss) && nonFinite.Count == 0) return null;
        var shown = string.Join(", ", nonFinite.Take(5).Select(n => Common.SafeText.Escape(n, 60)));
        return $"the model produced non-finite values: loss {result.Loss.ToString("R", CultureInfo.InvariantCulture)}{(nonFinite.Count > 0 ? $", non-finite gradient entries in {nonFinite.Count} parameter(s) ({shown}{(nonFinite.Count > 5 ? ", …" : "")})" : "")}; check the weights for NaN/Inf (e.g. numpy.isfinite on each initializer) and re-export the model";
    }

    private static bool TensorIsFinite(ReadOnlySpan<float> values)
    {
        foreach (var v in values) if (!float.IsFinite(v)) return false;
        return true;
    }

    private static void WriteAtomic(string path, string text) =>
        Common.AtomicFile.Write(path, s => s.Write(System.Text.Encoding.UTF8.GetBytes(text)));
}
