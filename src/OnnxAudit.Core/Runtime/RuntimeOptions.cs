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

    /// <summary>Test and bench switch: run the optimiser step of the attack loops inside the graph
    /// (<see cref="AdamStepSession"/>) or on the host; null = by device (<see cref="OptimizerInGraph"/>).</summary>
    internal bool? AdamInGraph { get; init; }

    /// <summary>Whether the attack loops run Adam inside the graph: on CUDA (the state stays in device memory), not on
    /// the CPU, where the host step measured as fast or faster (bench/README.md, "CUDA").</summary>
    internal bool OptimizerInGraph => AdamInGraph ?? Device == ExecutionDevice.Cuda;
}
