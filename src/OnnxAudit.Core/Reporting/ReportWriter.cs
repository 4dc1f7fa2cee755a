using OnnxAudit.Reporting.Model;

namespace OnnxAudit.Reporting;

/// <summary>Writes report.pdf / report.html / report.json into a folder, all or nothing.</summary>
public static class ReportWriter
{
    /// <summary>
    /// Validates <paramref name="report"/>, renders each requested format to a temporary file inside
    /// <paramref name="outputDir"/> (created when missing), and only when every format rendered,
    /// renames them to report.pdf / report.html / report.json (replacing older ones). On any failure
    /// no temporary or partial file remains, and the exception propagates.
    /// </summary>
    /// <returns>Full paths of the written files, in the order pdf, html, json.</returns>
    public static IReadOnlyList<string> Write(AuditReport report, string outputDir, ReportFormats formats)
    {
        var renderers = new List<IReportRenderer>();
        if (formats.HasFlag(ReportFormats.Pdf)) renderers.Add(new PdfReportRenderer());
        if (formats.HasFlag(ReportFormats.Html)) renderers.Add(new HtmlReportRenderer());
        if (formats.HasFlag(ReportFormats.Json)) renderers.Add(new JsonReportRenderer());
        return Write(report, outputDir, renderers);
    }

    /// <summary>Same as the public overload with explicit renderers (tests inject failing ones).</summary>
    internal static IReadOnlyList<string> Write(AuditReport report, string outputDir, IReadOnlyList<IReportRenderer> renderers)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentException.ThrowIfNullOrEmpty(outputDir);
        if (renderers.Count == 0) throw new ArgumentException("No report format requested: choose at least one of pdf, html, json.", nameof(renderers));
        report.Validate();

        var dir = Path.GetFullPath(outputDir);
        var createdDir = !Directory.Exists(dir);
        Directory.CreateDirectory(dir);
        var temps = new List<(string Temp, string Final)>();
        var moved = new List<string>();
        try
        {
            foreach (var r in renderers)
            {
                var final = Path.Combine(dir, r.FileName);
                var temp = Path.Combine(dir, "." + r.FileName + "." + Guid.NewGuid().ToString("N")[..8] + ".tmp");
                temps.Add((temp, final));
                using (var fs = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
                {
                    r.Render(report, fs);
                    fs.Flush(flushToDisk: true);
                }
            }
            foreach (var (temp, final) in temps)
            {
                File.Move(temp, final, overwrite: true);
                moved.Add(final);
            }
            return temps.Select(t => t.Final).ToArray();
        }
        catch
        {
            // why: "nothing is half-written" (DESIGN.md conventions) — remove temps and any file this
            // call already renamed into place, so a failed run leaves no report that looks complete.
            foreach (var (temp, _) in temps) TryDelete(temp);
            foreach (var f in moved) TryDelete(f);
            if (createdDir) TryDeleteEmptyDir(dir);
            throw;
        }
    }

    private static void TryDelete(string path)
    {
        try { File.Delete(path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    private static void TryDeleteEmptyDir(string dir)
    {
        try { if (!Directory.EnumerateFileSystemEntries(dir).Any()) Directory.Delete(dir); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
