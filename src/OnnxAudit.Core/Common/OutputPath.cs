using OnnxAudit.Errors;

namespace OnnxAudit.Common;

/// <summary>Up-front checks of an output path (before any work, so that nothing is written on failure): not empty, not
/// a special file or under /proc, /sys or /dev, its nearest existing ancestor a writable folder, no symbolic-link loop,
/// and not one of the input files. Stateless.</summary>
internal static class OutputPath
{
    /// <summary>Checks an output folder (created later if missing).</summary>
    /// <param name="path">The folder the user named.</param>
    /// <param name="option">The option for messages ("-o").</param>
    /// <param name="inputs">Input files that must not be overwritten.</param>
    /// <exception cref="OnnxAuditException">The folder cannot be used; one line naming the option and the fix.</exception>
    public static void CheckFolder(string path, string option, params string?[] inputs) => Check(path, option, folder: true, inputs);

    /// <summary>Checks an output file (written atomically later).</summary>
    /// <exception cref="OnnxAuditException">The file cannot be written or is an input; one line naming the option and the fix.</exception>
    public static void CheckFile(string path, string option, params string?[] inputs) => Check(path, option, folder: false, inputs);

    private static void Check(string path, string option, bool folder, string?[] inputs)
    {
        ArgumentNullException.ThrowIfNull(option);
        var what = folder ? "an output folder" : "an output file";
        if (string.IsNullOrWhiteSpace(path))
            throw new OnnxAuditException($"{option} '': the output path is empty; pass {what} (e.g. {option} {(folder ? "audit-out" : "hardened.onnx")}).");
        var shown = SafeText.Escape(path);
        string full;
        try
        {
            full = Path.GetFullPath(path);
        }
        catch (Exception ex) when (ex is ArgumentException or NotSupportedException or PathTooLongException)
        {
            throw new OnnxAuditException($"{option} {shown}: not a valid path ({SafeText.Escape(ex.Message)}); pass {what}.", ex);
        }
        string real;
        try
        {
            real = ExternalDataRealPath(full);
        }
        catch (IOException ex)
        {
            throw new OnnxAuditException($"{option} {shown}: the path cannot be resolved ({SafeText.Escape(ex.Message)}); remove the symbolic-link loop or pass another {what[3..]}.", ex);
        }
        foreach (var system in new[] { "/proc", "/sys", "/dev" })
        {
            if (real == system || real.StartsWith(system + "/", StringComparison.Ordinal))
                throw new OnnxAuditException($"{option} {shown}: is under {system}, a system folder where reports cannot be written; pass {what} in your own folders.");
        }
        foreach (var input in inputs)
        {
            if (string.IsNullOrEmpty(input)) continue;
            string inReal;
            try { inReal = ExternalDataRealPath(Path.GetFullPath(input)); }
            catch (Exception ex) when (ex is IOException or ArgumentException) { continue; }
            if (inReal == real)
                throw new OnnxAuditException($"{option} {shown}: is the input {SafeText.Escape(input)}; writing there would overwrite the input — pass a different {what[3..]} (e.g. hardened.onnx).");
        }
        var kind = FileKind.Of(real);
        if (FileKind.Special(kind) is { } special)
            throw new OnnxAuditException($"{option} {shown}: is {special}; pass {what} that is a regular {(folder ? "folder" : "file")}.");
        if (folder && kind == FileKind.Kind.Regular)
            throw new OnnxAuditException($"{option} {shown}: the output path is a file, not a folder; pass a folder with {option}.");
        if (!folder && kind == FileKind.Kind.Directory)
            throw new OnnxAuditException($"{option} {shown}: the output path is a folder; pass a file name such as hardened.onnx with {option}.");
        // The nearest existing ancestor must be a writable folder (a file there means "under a file").
        var ancestor = kind == FileKind.Kind.Directory ? real : Path.GetDirectoryName(real);
        while (ancestor is not null && FileKind.Of(ancestor) == FileKind.Kind.Missing) ancestor = Path.GetDirectoryName(ancestor);
        if (ancestor is null) return;
        var ak = FileKind.Of(ancestor);
        if (ak != FileKind.Kind.Directory)
            throw new OnnxAuditException($"{option} {shown}: {SafeText.Escape(ancestor)} is a file, not a folder, so nothing can be created under it; pass {what} whose parent is a folder.");
        if (!OperatingSystem.IsWindows() && !Writable(ancestor))
            throw new OnnxAuditException($"{option} {shown}: the folder {SafeText.Escape(ancestor)} is not writable; pass {what} in a folder you can write to (or fix its permissions).");
    }

    private static string ExternalDataRealPath(string full) => RealPaths.Resolve(full);

    private static bool Writable(string folder)
    {
        try
        {
            var probe = Path.Combine(folder, $".onnx-audit-probe-{Environment.ProcessId}-{Guid.NewGuid():N}");
            using (new FileStream(probe, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose)) { }
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
