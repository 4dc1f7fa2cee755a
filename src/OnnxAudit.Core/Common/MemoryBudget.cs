using System.Globalization;
using OnnxAudit.Errors;

namespace OnnxAudit.Common;

/// <summary>
/// The most memory one input may make the tool allocate (decoded data, tensors, declared shapes), checked before the
/// allocation. Default: half of the memory available to the process (RAM or the container limit); the CLI option
/// --max-memory (a <see cref="Scope"/> around the command) or else the environment variable ONNX_AUDIT_MAX_MEMORY
/// (bytes, or with a K/M/G/T suffix) overrides it. Thread-safe.
/// </summary>
internal static class MemoryBudget
{
    /// <summary>The environment variable that overrides the limit.</summary>
    public const string Variable = "ONNX_AUDIT_MAX_MEMORY";

    /// <summary>The CLI option that sets the limit for one command.</summary>
    public const string Option = "--max-memory";

    /// <summary>The smallest accepted limit (64 MB: below it even the bundled models cannot be audited).</summary>
    public const long MinLimit = 64L << 20;

    private static long? _override;
    private static readonly AsyncLocal<long?> s_scoped = new();

    /// <summary>The limit in bytes.</summary>
    /// <exception cref="OnnxAuditException">ONNX_AUDIT_MAX_MEMORY is set to something that is not a valid size.</exception>
    public static long Limit => s_scoped.Value ?? _override ?? FromEnvironment() ?? Default;

    /// <summary>Half of the memory available to the process (at least 256 MB).</summary>
    public static long Default => Math.Max(256L << 20, Available / 2);

    /// <summary>The memory available to the process (RAM or the container limit).</summary>
    public static long Available => GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;

    /// <summary>Sets (or with null clears) a process-wide override, for tests.</summary>
    internal static void Override(long? bytes) => _override = bytes;

    /// <summary>Sets the limit for the calling flow (and the tasks it starts) until disposed: --max-memory for one
    /// command, without affecting other commands run in the same process.</summary>
    public static IDisposable Scope(long bytes)
    {
        var saved = s_scoped.Value;
        s_scoped.Value = bytes;
        return new Restore(saved);
    }

    private sealed class Restore(long? saved) : IDisposable
    {
        public void Dispose() => s_scoped.Value = saved;
    }

    /// <summary>Parses a size ("2G", "512M", "1073741824") given by <paramref name="source"/> (the option or variable, for
    /// the message) and bounds it to [<see cref="MinLimit"/>, the memory available].</summary>
    /// <exception cref="OnnxAuditException">Not a size, or out of bounds; the message names <paramref name="source"/> and the fix.</exception>
    public static long Parse(string text, string source)
    {
        var s = text.Trim();
        var available = Available;
        var example = Default >= 1L << 30 ? $"{Default >> 30}G" : $"{Default >> 20}M";
        var sep = source.EndsWith('=') ? "" : " ";
        var shown = source + sep + SafeText.Escape(text, 40);
        long? value = null;
        if (s.Length > 0)
        {
            var unit = char.ToUpperInvariant(s[^1]);
            long scale = unit switch { 'K' => 1L << 10, 'M' => 1L << 20, 'G' => 1L << 30, 'T' => 1L << 40, _ => 1 };
            var digits = scale == 1 ? s : s[..^1];
            if (long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var v)) value = Multiply(v, scale);
        }
        if (value is null)
            throw new OnnxAuditException($"{shown}: not a size; pass bytes or a number with K, M, G or T (e.g. {source}{sep}{example}).");
        if (value < MinLimit || value > available)
            throw new OnnxAuditException($"{shown}: must be between {Format(MinLimit)} and {Format(available)} (the memory available to this process); pass a value in that range (e.g. {source}{sep}{example}).");
        return value.Value;
    }

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
        var message = $"{what} would need {Format(bytes)}, above the memory limit of {Format(limit)}; {fix} (or raise the limit with {Option} <size>, e.g. {Option} 16G, or {Variable}=16G, if the machine has the memory).";
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
        // why: an unparsable value used to be ignored silently; it is now an error naming the variable.
        return Parse(s, Variable + "=");
    }
}
