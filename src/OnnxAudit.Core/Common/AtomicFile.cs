namespace OnnxAudit.Common;

/// <summary>
/// Writes files so that nothing is half-written (DESIGN.md conventions): each file goes to a hidden temp file in the
/// destination folder (same file system, so the rename is atomic) and is renamed into place; on failure the temp files
/// are removed. Stateless and thread-safe.
/// </summary>
public static class AtomicFile
{
    /// <summary>Writes one file through <paramref name="write"/>; creates the folder when missing.</summary>
    /// <param name="path">Destination file.</param>
    /// <param name="write">Writes the content to the stream (which this method disposes).</param>
    /// <param name="flushToDisk">fsync before the rename (durable against a crash, slower).</param>
    public static void Write(string path, Action<Stream> write, bool flushToDisk = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(write);
        var full = Path.GetFullPath(path);
        var dir = Path.GetDirectoryName(full);
        if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
        var tmp = TempFor(full);
        try
        {
            WriteTemp(tmp, write, flushToDisk);
            File.Move(tmp, full, overwrite: true);
        }
        catch
        {
            TryDelete(tmp);
            throw;
        }
    }

    /// <summary>Writes several files into <paramref name="directory"/> all or nothing: every file is written to a temp
    /// file first and renamed only when all succeeded; on failure the temps, any file already renamed and a folder this
    /// call created are removed. Returns the final paths in order.</summary>
    public static IReadOnlyList<string> WriteAll(string directory, IReadOnlyList<(string FileName, Action<Stream> Write)> files, bool flushToDisk = true)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        ArgumentNullException.ThrowIfNull(files);
        var dir = Path.GetFullPath(directory);
        var createdDir = !Directory.Exists(dir);
        Directory.CreateDirectory(dir);
        var temps = new List<(string Temp, string Final)>();
        var moved = new List<string>();
        try
        {
            foreach (var (name, write) in files)
            {
                var final = Path.Combine(dir, name);
                var temp = TempFor(final);
                temps.Add((temp, final));
                WriteTemp(temp, write, flushToDisk);
            }
            foreach (var (temp, final) in temps)
            {
                File.Move(temp, final, overwrite: true);
                moved.Add(final);
            }
            return [.. temps.Select(t => t.Final)];
        }
        catch
        {
            foreach (var (temp, _) in temps) TryDelete(temp);
            foreach (var f in moved) TryDelete(f);
            if (createdDir) TryDeleteEmptyDir(dir);
            throw;
        }
    }

    private static string TempFor(string full) =>
        Path.Combine(Path.GetDirectoryName(full) ?? ".", "." + Path.GetFileName(full) + "." + Guid.NewGuid().ToString("N")[..8] + ".tmp");

    private static void WriteTemp(string temp, Action<Stream> write, bool flushToDisk)
    {
        using var fs = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16);
        write(fs);
        fs.Flush(flushToDisk);
    }

    private static void TryDelete(string path)
    {
        try { if (File.Exists(path)) File.Delete(path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    private static void TryDeleteEmptyDir(string dir)
    {
        try { if (!Directory.EnumerateFileSystemEntries(dir).Any()) Directory.Delete(dir); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
