using Microsoft.ML.OnnxRuntime;
using OnnxAudit.Errors;

namespace OnnxAudit.Runtime;

/// <summary>
/// Creates ONNX Runtime sessions from in-memory model bytes with the project's options. The returned
/// <see cref="InferenceSession"/> is owned by the caller, who must dispose it.
/// </summary>
public static partial class SessionFactory
{
    /// <summary>The ONNX Runtime version string reported by the native library (e.g. "1.31.1").</summary>
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
            // why: ORT prints its own colour-coded line to stderr before throwing; the exception text is rewritten
            // into the tool's one-line error, so only fatal messages may reach the terminal.
            so.LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_FATAL;
            QuietEnvironment();
            if (options.Device == ExecutionDevice.Cuda)
            {
                // why: ONNX Runtime also logs the failed load to stderr itself; the one-line error below replaces it.
                var env = OrtEnv.Instance();
                var level = env.EnvLogLevel;
                env.EnvLogLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_FATAL;
                try
                {
                    so.AppendExecutionProvider_CUDA(0);
                }
                catch (Exception ex) when (ex is OnnxRuntimeException or DllNotFoundException or EntryPointNotFoundException)
                {
                    throw new OnnxAuditException(CudaFailureMessage(IsGpuBuild ? LoadCudaProvider() ?? ex.Message : ex.Message, OnnxRuntimePackage), ex);
                }
                finally
                {
                    env.EnvLogLevel = level;
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
    /// <param name="lowMemory">No CPU memory arena and no memory pattern: buffers are freed after each run instead of
    /// kept for the next (used for models whose weights are fed by <see cref="WeightFeeds"/>).</param>
    public static InferenceSession Create(byte[] modelBytes, RuntimeOptions options, string origin, bool lowMemory = false)
    {
        using var so = CreateSessionOptions(options);
        if (lowMemory)
        {
            so.EnableCpuMemArena = false;
            so.EnableMemoryPattern = false;
        }
        try
        {
            var session = new InferenceSession(modelBytes, so);
            RuntimeCounters.SessionCreated(origin);
            return session;
        }
        catch (OnnxRuntimeException ex)
        {
            throw new ModelLoadException($"{origin}: ONNX Runtime cannot load the model ({Explain(ex.Message)}); check that it is a valid ONNX model with operators of opset 7-23 (python -m onnx.checker).", ex);
        }
    }

    /// <summary>The ONNX Runtime NuGet package this build references ("Microsoft.ML.OnnxRuntime" or
    /// "Microsoft.ML.OnnxRuntime.Gpu"), recorded at build time.</summary>
    internal static string OnnxRuntimePackage { get; } =
        typeof(SessionFactory).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyMetadataAttribute), false)
            .Cast<System.Reflection.AssemblyMetadataAttribute>().FirstOrDefault(a => a.Key == "OnnxRuntimePackage")?.Value ?? "Microsoft.ML.OnnxRuntime";

    /// <summary>True when this build references the CUDA package of ONNX Runtime.</summary>
    internal static bool IsGpuBuild => OnnxRuntimePackage.EndsWith(".Gpu", StringComparison.Ordinal);

    /// <summary>One line for a CUDA provider that cannot be appended: the missing library (for the GPU build) or the
    /// CPU-only build, and the fix.</summary>
    internal static string CudaFailureMessage(string ortMessage, string package)
    {
        if (!package.EndsWith(".Gpu", StringComparison.Ordinal))
            return $"--device cuda: this build of onnx-audit has the CPU-only ONNX Runtime ({package}), which has no CUDA execution provider ({FirstLine(ortMessage).TrimEnd('.')}); use the GPU build (build with -p:OnnxRuntimePackage=Microsoft.ML.OnnxRuntime.Gpu, see README \"--device cuda on a GPU machine\") or use --device cpu.";
        // why: ORT's message is "Failed to load library libonnxruntime_providers_cuda.so with error: libcublasLt.so.13:
        // cannot open shared object file: No such file or directory"; the dependency that is missing is the useful part.
        var missing = System.Text.RegularExpressions.Regex.Match(ortMessage, @"(lib[\w.+-]+\.so[\w.]*): cannot open shared object file");
        var what = missing.Success ? $"{missing.Groups[1].Value}: cannot open shared object file" : FirstLine(ortMessage);
        return $"--device cuda: the CUDA execution provider could not be loaded ({what}); install CUDA 13 and cuDNN 9 for an NVIDIA GPU and put their lib folders on LD_LIBRARY_PATH (see README \"--device cuda on a GPU machine\"), or use --device cpu.";
    }

    /// <summary>Loads the CUDA provider library the way ONNX Runtime does and returns the loader's error (which names
    /// the missing CUDA or cuDNN library; ONNX Runtime's exception only says "Failed to load shared library"), or null
    /// when it loads.</summary>
    private static string? LoadCudaProvider()
    {
        const string name = "libonnxruntime_providers_cuda.so";
        var folders = new[] { AppContext.BaseDirectory, Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native") };
        var path = folders.Select(f => Path.Combine(f, name)).FirstOrDefault(File.Exists);
        if (path is null) return $"{name}: cannot open shared object file: not beside the program";
        try
        {
            System.Runtime.InteropServices.NativeLibrary.Free(System.Runtime.InteropServices.NativeLibrary.Load(path));
            return null;
        }
        catch (DllNotFoundException ex)
        {
            return ex.Message;
        }
    }

    private static int _quiet;

    /// <summary>Raises the process-wide ONNX Runtime log level to fatal (once).</summary>
    private static void QuietEnvironment()
    {
        if (Interlocked.Exchange(ref _quiet, 1) == 1) return;
        OrtEnv.Instance().EnvLogLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_FATAL;
    }

    /// <summary>The first line of an ONNX Runtime message without its C++ source locations
    /// ("/onnxruntime_src/onnxruntime/core/…/x.cc:123 Foo(…)"), escaped and truncated.</summary>
    internal static string FirstLine(string s)
    {
        var i = s.IndexOfAny(['\r', '\n']);
        var line = (i < 0 ? s : s[..i]).Trim();
        line = SourcePath().Replace(line, "");
        line = System.Text.RegularExpressions.Regex.Replace(line, @"\s{2,}", " ").Trim();
        return Common.SafeText.Escape(line, 300);
    }

    /// <summary>An ONNX Runtime error message rewritten for ours: the failing node named as in the model (or as a node
    /// onnx-audit added), then ORT's status message, all lines joined, C++ paths removed, escaped and truncated.</summary>
    // why (issue 15): ORT says "Non-zero status code returned while running Gemm node. Name:'/fc1/Gemm' Status Message:
    // …" or "Node (ad_Gemm__ad34) Op (Gemm) [ShapeInferenceError] …" over several lines; the first line alone lost the
    // tensor and the sizes ("index: 0 Got: 8 Expected: 14"), and generated node names meant nothing to the user.
    internal static string Explain(string ortMessage)
    {
        var text = System.Text.RegularExpressions.Regex.Replace(SourcePath().Replace(ortMessage, ""), @"\s+", " ").Trim();
        text = System.Text.RegularExpressions.Regex.Replace(text, @"^\[ErrorCode:\w+\]\s*", "");
        string? node = null, op = null;
        var running = System.Text.RegularExpressions.Regex.Match(text, @"Non-zero status code returned while running (\w+) node\. Name:'([^']*)' Status Message: ?");
        var shapeError = System.Text.RegularExpressions.Regex.Match(text, @"Node \(([^)]*)\) Op \((\w+)\) ?");
        if (running.Success)
        {
            (op, node) = (running.Groups[1].Value, running.Groups[2].Value);
            text = text.Remove(running.Index, running.Length);
        }
        else if (shapeError.Success)
        {
            (node, op) = (shapeError.Groups[1].Value, shapeError.Groups[2].Value);
            text = text.Remove(shapeError.Index, shapeError.Length);
        }
        text = text.Trim().TrimEnd('.');
        if (node is null) return Common.SafeText.Escape(text, 300);
        var generated = node.StartsWith("ad_", StringComparison.Ordinal) || node.StartsWith(Onnx.ModelEditor.PreprocessPrefix, StringComparison.Ordinal);
        var where = generated
            ? $"at a {op} node onnx-audit added to the model ('{Common.SafeText.Escape(node, 60)}', e.g. the gradient or the input prefix)"
            : $"at node '{Common.SafeText.Escape(node, 80)}' ({op})";
        return $"{where}: {Common.SafeText.Escape(text, 240)}";
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"(/[\w.+-]+)+\.(cc|cpp|h|hpp|cu)(:\d+)?\s*([\w:<>~]+\([^)]*\)\s*(const)?\s*)?")]
    private static partial System.Text.RegularExpressions.Regex SourcePath();
}
