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

    internal static void SessionCreated() => Interlocked.Increment(ref s_sessions);

    /// <summary>Called by the gradient graph builder once per graph.</summary>
    public static void GradientGraphBuilt() => Interlocked.Increment(ref s_gradientGraphs);
}
