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
        var json = JsonSerializer.Serialize(new { indices, labels, loss = result.Loss, files }, new JsonSerializerOptions { WriteIndented = true });
        WriteAtomic(Path.Combine(dir, "batch.json"), json + "\n");
    }

    private static void WriteAtomic(string path, string text) =>
        Common.AtomicFile.Write(path, s => s.Write(System.Text.Encoding.UTF8.GetBytes(text)));
}
