namespace OnnxAudit.Runtime;

/// <summary>Where ONNX Runtime executes a model.</summary>
public enum ExecutionDevice
{
    /// <summary>The default CPU execution provider.</summary>
    Cpu,
    /// <summary>The CUDA execution provider, appended before CPU; fails with a clear message when no
    /// CUDA-enabled ONNX Runtime or GPU is available.</summary>
    Cuda,
}
