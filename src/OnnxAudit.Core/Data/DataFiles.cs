using OnnxAudit.Errors;

namespace OnnxAudit.Data;

/// <summary>Shared file checks and atomic writes for the data readers/writers.</summary>
internal static class DataFiles
{
    /// <summary>Throws a one-line <see cref="DataFormatException"/> when <paramref name="path"/> is missing or a directory
    /// (<see cref="Common.InputFile.Require"/>).</summary>
    public static void RequireFile(string path, string what) => Common.InputFile.Require(path, what);

    /// <summary>Writes through a temp file in the same folder and renames it over <paramref name="path"/>
    /// (<see cref="Common.AtomicFile.Write"/>).</summary>
    public static void WriteAtomic(string path, Action<Stream> write) => Common.AtomicFile.Write(path, write);
}
