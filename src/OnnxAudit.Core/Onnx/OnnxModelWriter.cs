using OnnxAudit.Errors;

namespace OnnxAudit.Onnx;

/// <summary>
/// Writes ONNX files atomically: the bytes go to a temp file in the destination folder, are flushed to
/// disk, and the temp file is renamed over the destination; on any failure the temp file is deleted and
/// the destination is left untouched. Unknown fields of the proto are written back unchanged.
/// </summary>
internal static class OnnxModelWriter
{
    /// <summary>Writes the model. <paramref name="flushToDisk"/> = false skips the fsync before the rename
    /// (still atomic for other processes, not across a power loss); tests that write thousands of files use it.</summary>
    public static void Write(OnnxModel model, string path, bool flushToDisk = true)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(path);
        WriteBytes(model.ToBytes(), path, flushToDisk);
    }

    /// <summary>Atomically writes <paramref name="bytes"/> to <paramref name="path"/>.</summary>
    internal static void WriteBytes(byte[] bytes, string path, bool flushToDisk = true)
    {
        string full;
        try
        {
            full = Path.GetFullPath(path);
        }
        catch (Exception ex) when (ex is ArgumentException or NotSupportedException or PathTooLongException)
        {
            throw new OnnxAuditException($"{path}: not a valid output path ({ex.Message}); pass a file path such as out/model.onnx.", ex);
        }
        if (Directory.Exists(full))
            throw new OnnxAuditException($"{path}: is a directory; pass a file path for the model (e.g. {Path.Combine(path, "model.onnx")}).");
        var folder = Path.GetDirectoryName(full) ?? ".";
        if (!Directory.Exists(folder))
            throw new OnnxAuditException($"{path}: the output folder {folder} does not exist; create it first.");
        // why: same folder as the destination so the final rename stays on one file system (atomic).
        var tmp = Path.Combine(folder, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var fs = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                fs.Write(bytes);
                fs.Flush(flushToDisk);
            }
            File.Move(tmp, full, overwrite: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            TryDelete(tmp);
            throw new OnnxAuditException($"{path}: cannot write the model ({ex.Message}); check that the folder is writable and the disk has space.", ex);
        }
        catch
        {
            TryDelete(tmp);
            throw;
        }
    }

    private static void TryDelete(string tmp)
    {
        try
        {
            if (File.Exists(tmp)) File.Delete(tmp);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // best effort: the original error is the one to report
        }
    }
}
