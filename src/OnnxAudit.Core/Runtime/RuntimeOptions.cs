namespace OnnxAudit.Runtime;

/// <summary>How ONNX Runtime sessions are created.</summary>
/// <param name="Device">Execution provider.</param>
/// <param name="IntraOpThreads">Threads inside one operator; 0 lets ONNX Runtime choose (one per core).</param>
/// <param name="OptimizationLevel">Graph optimisation: true = all optimisations, false = none (for debugging).</param>
public sealed record RuntimeOptions(ExecutionDevice Device = ExecutionDevice.Cpu, int IntraOpThreads = 0, bool OptimizationLevel = true)
{
    /// <summary>CPU, ONNX Runtime's thread count, all graph optimisations.</summary>
    public static RuntimeOptions Default { get; } = new();
}
