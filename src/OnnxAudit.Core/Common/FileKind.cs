using System.Runtime.InteropServices;
using OnnxAudit.Errors;

namespace OnnxAudit.Common;

/// <summary>What a path names on disk (following symbolic links), so that readers can refuse FIFOs and devices before
/// opening them: opening a FIFO blocks until a writer appears, and /dev/zero never ends. Thread-safe.</summary>
internal static partial class FileKind
{
    /// <summary>The kinds <see cref="Of"/> tells apart.</summary>
    internal enum Kind { Missing, Regular, Directory, Fifo, CharacterDevice, BlockDevice, Socket, Other }

    // why: .NET exposes no file type beyond file/directory; the runtime's own System.Native shim (shipped with every
    // .NET install) has a stat with a fixed, platform-independent FileStatus layout: int Flags, int Mode, ... and
    // Mode carries the POSIX S_IFMT bits.
    [LibraryImport("libSystem.Native", EntryPoint = "SystemNative_Stat", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Stat(string path, Span<byte> status);

    /// <summary>The kind of <paramref name="path"/>; <see cref="Kind.Regular"/> when the platform cannot tell.</summary>
    public static Kind Of(string path)
    {
        if (string.IsNullOrEmpty(path) || path.Contains('\0', StringComparison.Ordinal)) return Kind.Missing;
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS() && !OperatingSystem.IsFreeBSD())
            return Directory.Exists(path) ? Kind.Directory : File.Exists(path) ? Kind.Regular : Kind.Missing;
        Span<byte> buffer = stackalloc byte[512];
        int rc;
        try
        {
            rc = Stat(path, buffer);
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            return Directory.Exists(path) ? Kind.Directory : File.Exists(path) ? Kind.Regular : Kind.Missing;
        }
        if (rc != 0) return Kind.Missing;
        var mode = BitConverter.ToInt32(buffer[4..8]) & 0xF000;
        return mode switch
        {
            0x8000 => Kind.Regular,
            0x4000 => Kind.Directory,
            0x1000 => Kind.Fifo,
            0x2000 => Kind.CharacterDevice,
            0x6000 => Kind.BlockDevice,
            0xC000 => Kind.Socket,
            _ => Kind.Other,
        };
    }

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
