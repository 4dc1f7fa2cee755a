using Microsoft.ML.OnnxRuntime;
using OnnxAudit.Errors;

namespace OnnxAudit.Runtime;

/// <summary>
/// Creates ONNX Runtime sessions from in-memory model bytes with the project's options. The returned
/// <see cref="InferenceSession"/> is owned by the caller, who must dispose it.
/// </summary>
public static class SessionFactory
{
    /// <summary>The ONNX Runtime version string reported by the native library (e.g. "1.29.0").</summary>
    public static string OrtVersion => OrtEnv.Instance().GetVersionString();

    /// <summary>Builds session options for <paramref name="options"/>. Caller disposes.</summary>
    /// <exception cref="OnnxAuditException">The CUDA execution provider is requested but cannot be loaded.</exception>
    public static SessionOptions CreateSessionOptions(RuntimeOptions options)
    {
        var so = new SessionOptions();
        try
        {
            so.GraphOptimizationLevel = options.OptimizationLevel ? GraphOptimizationLevel.ORT_ENABLE_ALL : GraphOptimizationLevel.ORT_DISABLE_ALL;
            if (options.IntraOpThreads > 0) so.IntraOpNumThreads = options.IntraOpThreads;
            so.LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR;
            if (options.Device == ExecutionDevice.Cuda)
            {
                try
                {
                    so.AppendExecutionProvider_CUDA(0);
                }
                catch (Exception ex) when (ex is OnnxRuntimeException or DllNotFoundException or EntryPointNotFoundException)
                {
                    throw new OnnxAuditException(
                        $"--device cuda: the CUDA execution provider could not be loaded ({FirstLine(ex.Message)}); this build ships the CPU-only ONNX Runtime and needs an NVIDIA GPU with CUDA 12 and cuDNN 9 plus libonnxruntime_providers_cuda.so beside the program. Use --device cpu.", ex);
                }
            }
            return so;
        }
        catch
        {
            so.Dispose();
            throw;
        }
    }

    /// <summary>Creates a session for serialized ONNX model bytes. Caller disposes.</summary>
    /// <param name="modelBytes">A self-contained ModelProto (external data already inlined).</param>
    /// <param name="options">Device and threading.</param>
    /// <param name="origin">File name used in error messages.</param>
    public static InferenceSession Create(byte[] modelBytes, RuntimeOptions options, string origin)
    {
        using var so = CreateSessionOptions(options);
        try
        {
            var session = new InferenceSession(modelBytes, so);
            RuntimeCounters.SessionCreated(origin);
            return session;
        }
        catch (OnnxRuntimeException ex)
        {
            throw new ModelLoadException($"{origin}: ONNX Runtime cannot load the model ({FirstLine(ex.Message)}); check that it is a valid ONNX model with operators of opset 7-23 (python -m onnx.checker).", ex);
        }
    }

    internal static string FirstLine(string s)
    {
        var i = s.IndexOfAny(['\r', '\n']);
        return (i < 0 ? s : s[..i]).Trim();
    }
}
