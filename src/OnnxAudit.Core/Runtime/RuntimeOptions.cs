namespace OnnxAudit.Runtime;

/// <summary>How ONNX Runtime sessions are created.</summary>
/// <param name="Device">Execution provider.</param>
/// <param name="IntraOpThreads">Threads inside one operator; 0 lets ONNX Runtime choose (one per core). Default 1: one
/// thread per session measured faster than two for the gradient, white-box and decoder loops (bench/README.md, "Threads").</param>
/// <param name="OptimizationLevel">Graph optimisation: true = all optimisations, false = none (for debugging).</param>
public sealed record RuntimeOptions(ExecutionDevice Device = ExecutionDevice.Cpu, int IntraOpThreads = 1, bool OptimizationLevel = true)
{
    /// <summary>CPU, one intra-op thread, all graph optimisations.</summary>
    public static RuntimeOptions Default { get; } = new();

    /// <summary>Test switch: bind inputs the way the CUDA path does (re-bound before every run) on the CPU provider, so
    /// the device protocol is exercised on a machine without a GPU.</summary>
    internal bool EmulateDeviceBinding { get; init; }

    /// <summary>True when ONNX Runtime copies bound host inputs at bind time (CUDA), so inputs that change between runs
    /// must be re-bound before each run.</summary>
    internal bool UploadsBoundInputs => Device == ExecutionDevice.Cuda || EmulateDeviceBinding;
}
