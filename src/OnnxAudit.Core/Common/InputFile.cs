using OnnxAudit.Errors;

namespace OnnxAudit.Common;

/// <summary>The check every reader makes before it opens a user-supplied file.</summary>
internal static class InputFile
{
    /// <summary>Throws a one-line <see cref="DataFormatException"/> when <paramref name="path"/> is missing, a directory,
    /// or a FIFO, device or socket (checked before opening, so a FIFO cannot block and /dev/zero cannot fill memory).</summary>
    /// <param name="path">The file the user named.</param>
    /// <param name="what">What the file should be, for the message (e.g. "an IDX file").</param>
    public static void Require(string path, string what)
    {
        if (Directory.Exists(path))
        {
            throw new DataFormatException($"{path}: is a directory but {what} was expected; pass the file itself.");
        }
        if (!File.Exists(path))
        {
            throw new DataFormatException($"{path}: file not found ({what} was expected); check the path.");
        }
        FileKind.RefuseSpecial(path, what);
    }
}
