using System.Runtime.InteropServices;

namespace OnnxAudit.Common;

/// <summary>Gives the C heap's free pages back to the operating system (glibc <c>malloc_trim</c>; a no-op elsewhere).</summary>
// why: issue 17: ONNX Runtime frees a disposed session's buffers into the C heap, which keeps them; on vit_b_16@224 the
// report's RSS stayed at 9 GB after the split point that needed it, and the next point's buffers came on top.
internal static partial class NativeHeap
{
    private static bool _unavailable = !OperatingSystem.IsLinux();

    [LibraryImport("libc", EntryPoint = "malloc_trim")]
    private static partial int MallocTrim(nuint pad);

    /// <summary>Trims the C heap; false when the C library has no <c>malloc_trim</c> (not glibc) or it released nothing.</summary>
    public static bool Trim()
    {
        if (_unavailable) return false;
        try
        {
            return MallocTrim(0) != 0;
        }
        catch (Exception ex) when (ex is EntryPointNotFoundException or DllNotFoundException)
        {
            _unavailable = true;
            return false;
        }
    }
}
