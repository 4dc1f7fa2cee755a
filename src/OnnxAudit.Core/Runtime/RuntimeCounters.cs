namespace OnnxAudit.Runtime;

/// <summary>
/// Process-wide counts of expensive native objects, for the debug line the CLI prints when the environment variable
/// <c>ONNX_AUDIT_COUNTS</c> is set. Thread-safe.
/// </summary>
public static class RuntimeCounters
{
    private static long s_sessions;
    private static long s_gradientGraphs;

    /// <summary>ONNX Runtime sessions created since the process started.</summary>
    public static long Sessions => Interlocked.Read(ref s_sessions);

    /// <summary>Gradient graphs built since the process started.</summary>
    public static long GradientGraphs => Interlocked.Read(ref s_gradientGraphs);

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, int> s_byOrigin = new(StringComparer.Ordinal);

    /// <summary>Sessions created per model origin (for the debug listing).</summary>
    public static IReadOnlyDictionary<string, int> SessionsByOrigin => s_byOrigin;

    internal static void SessionCreated(string origin)
    {
        Interlocked.Increment(ref s_sessions);
        s_byOrigin.AddOrUpdate(origin, 1, (_, n) => n + 1);
    }

    /// <summary>Called by the gradient graph builder once per graph.</summary>
    public static void GradientGraphBuilt() => Interlocked.Increment(ref s_gradientGraphs);
}
