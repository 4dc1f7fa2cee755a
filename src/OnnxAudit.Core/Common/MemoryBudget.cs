using System.Globalization;
using OnnxAudit.Errors;

namespace OnnxAudit.Common;

/// <summary>
/// The most memory one input may make the tool allocate (decoded data, tensors, declared shapes), checked before the
/// allocation. Default: half of the memory available to the process (RAM or the container limit); the environment
/// variable ONNX_AUDIT_MAX_MEMORY (bytes, or with a K/M/G suffix) overrides it. Thread-safe.
/// </summary>
internal static class MemoryBudget
{
    /// <summary>The environment variable that overrides the limit.</summary>
    public const string Variable = "ONNX_AUDIT_MAX_MEMORY";

    private static long? _override;

    /// <summary>The limit in bytes.</summary>
    public static long Limit => _override ?? FromEnvironment() ?? Math.Max(256L << 20, GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 2);

    /// <summary>Sets (or with null clears) a process-wide override, for tests and the CLI.</summary>
    internal static void Override(long? bytes) => _override = bytes;

    /// <summary>Throws a one-line <see cref="OnnxAuditException"/> (of the type <paramref name="make"/> builds) when
    /// <paramref name="bytes"/> exceeds <see cref="Limit"/>.</summary>
    /// <param name="bytes">What the allocation would take (saturated at long.MaxValue by the caller).</param>
    /// <param name="what">The subject of the message, starting with the file (e.g. "m.onnx: graph input 'x' [1, 3, 9e9]").</param>
    /// <param name="fix">The fix clause (without the limit hint, which is appended).</param>
    /// <param name="make">Builds the exception from the message (default: <see cref="OnnxAuditException"/>).</param>
    public static void Check(long bytes, string what, string fix, Func<string, OnnxAuditException>? make = null)
    {
        var limit = Limit;
        if (bytes <= limit) return;
        var message = $"{what} would need {Format(bytes)}, above the memory limit of {Format(limit)}; {fix} (or raise the limit with {Variable}=<bytes>, e.g. 16G, if the machine has the memory).";
        throw make is null ? new OnnxAuditException(message) : make(message);
    }

    /// <summary>Saturating a × b for non-negative values.</summary>
    public static long Multiply(long a, long b) => a == 0 || b == 0 ? 0 : a > long.MaxValue / b ? long.MaxValue : a * b;

    /// <summary>A byte count for messages ("6.3 GB", "512 MB", "40 bytes").</summary>
    public static string Format(long bytes) => bytes switch
    {
        long.MaxValue => "more than 9.2 EB",
        >= 1L << 30 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1L << 30):0.#} GB"),
        >= 1L << 20 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1L << 20):0.#} MB"),
        >= 1L << 10 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1L << 10):0.#} KB"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{bytes} bytes"),
    };

    private static long? FromEnvironment()
    {
        var s = Environment.GetEnvironmentVariable(Variable);
        if (string.IsNullOrWhiteSpace(s)) return null;
        s = s.Trim();
        long scale = char.ToUpperInvariant(s[^1]) switch { 'K' => 1L << 10, 'M' => 1L << 20, 'G' => 1L << 30, 'T' => 1L << 40, _ => 1 };
        var digits = scale == 1 ? s : s[..^1];
        return long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var v) && v > 0 ? Multiply(v, scale) : null;
    }
}
