using OnnxAudit.Errors;

namespace OnnxAudit.Common;

/// <summary>What a path names on disk (following symbolic links), so that readers can refuse FIFOs and devices before
/// opening them: opening a FIFO blocks until a writer appears, and /dev/zero never ends. Thread-safe.</summary>
internal static class FileKind
{
    /// <summary>The kinds <see cref="Of"/> tells apart.</summary>
    internal enum Kind { Missing, Regular, Directory, Fifo, CharacterDevice, BlockDevice, Socket, Other }

    // why: .NET's public file APIs tell only files from directories (UnixFileMode is the permission bits); Mono.Unix's
    // UnixFileInfo is a public stat(2) wrapper (it follows symbolic links) whose IsFifo/IsCharacterDevice/… read the POSIX S_IFMT kinds.
    // It replaced a P/Invoke into the runtime's internal System.Native shim (issue 15).

    /// <summary>The kind of <paramref name="path"/>; <see cref="Kind.Regular"/> when the platform cannot tell.</summary>
    public static Kind Of(string path)
    {
        if (string.IsNullOrEmpty(path) || path.Contains('\0', StringComparison.Ordinal)) return Kind.Missing;
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS() && !OperatingSystem.IsFreeBSD())
            return Fallback(path);
        try
        {
            var info = new Mono.Unix.UnixFileInfo(path);
            if (!info.Exists) return Kind.Missing;
            return info.IsRegularFile ? Kind.Regular : info.IsDirectory ? Kind.Directory : info.IsFifo ? Kind.Fifo
                : info.IsCharacterDevice ? Kind.CharacterDevice : info.IsBlockDevice ? Kind.BlockDevice : info.IsSocket ? Kind.Socket : Kind.Other;
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException or TypeInitializationException)
        {
            return Fallback(path);
        }
        catch (Exception ex) when (ex is Mono.Unix.UnixIOException or ArgumentException or InvalidOperationException or UnauthorizedAccessException or IOException)
        {
            return Kind.Missing;
        }
    }

    private static Kind Fallback(string path) => Directory.Exists(path) ? Kind.Directory : File.Exists(path) ? Kind.Regular : Kind.Missing;

    /// <summary>A phrase for a kind that is not a regular file or a directory ("a FIFO (named pipe)"), or null.</summary>
    public static string? Special(Kind kind) => kind switch
    {
        Kind.Fifo => "a FIFO (named pipe)",
        Kind.CharacterDevice => "a character device",
        Kind.BlockDevice => "a block device",
        Kind.Socket => "a socket",
        Kind.Other => "not a regular file",
        _ => null,
    };

    /// <summary>Throws a one-line <see cref="DataFormatException"/> when <paramref name="path"/> is a FIFO, device or
    /// socket (checked before it is opened).</summary>
    public static void RefuseSpecial(string path, string what)
    {
        if (Special(Of(path)) is { } special)
            throw new DataFormatException($"{SafeText.Escape(path)}: is {special}, not a regular file ({what} was expected); copy the data into a regular file and pass that.");
    }
}
