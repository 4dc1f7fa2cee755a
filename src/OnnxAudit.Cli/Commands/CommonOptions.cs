using System.CommandLine;
using OnnxAudit.Runtime;

namespace OnnxAudit.Cli.Commands;

/// <summary>Options shared by several verbs, so that they are spelled and documented the same way.</summary>
internal static class CommonOptions
{
    public static Argument<string> Model() => new("model") { Description = "Path to the ONNX model (.onnx). External data is read from the model's folder." };

    public static Option<string?> Data(bool required = false) => new("--data", "-d")
    {
        Description = "Image data: an IDX file (MNIST family, optionally .gz; labels found beside it), a NumPy .npy (uint8 or float32, NCHW or NHWC) or a folder of PNG, JPEG, WebP, BMP or GIF images (one sub-folder per class).",
        Required = required,
    };

    public static Option<string> OutputDir(bool required = true) => new("--output", "-o") { Description = "Output folder (created if missing).", Required = required };

    public static Option<bool> Json() => new("--json") { Description = "Print JSON instead of tables." };

    /// <summary><c>--fail-on</c>, the same on every auditing verb (see <see cref="ExitCodes"/>).</summary>
    public static Option<string?> FailOn()
    {
        var o = new Option<string?>("--fail-on") { Description = "Exit with code 1 when a finding is at or above this severity (high, medium or low), or when a requested threat was not assessed." };
        o.AcceptOnlyFromAmong("high", "medium", "low");
        return o;
    }

    /// <summary><c>--allow-not-assessed</c>: with <c>--fail-on</c>, a requested threat that was not assessed does not fail the gate.</summary>
    public static Option<bool> AllowNotAssessed() => new("--allow-not-assessed") { Description = "With --fail-on: do not fail when a requested threat could not be assessed (no data, nothing to attack, an unsupported operator)." };

    /// <summary><c>--splits</c> (alias <c>--at</c>): split points by tensor name or layer label.</summary>
    public static Option<string[]> Splits(bool allByDefault)
    {
        var o = new Option<string[]>("--splits", "--at")
        {
            Description = allByDefault ? "Split points to attack: 'auto' (default: at most 8 spread over depth, 4 with --quick), 'all', or tensor names / layer labels (see 'onnx-audit inspect')."
                : "Attack only these split points (tensor names or layer labels, see 'onnx-audit inspect'); default: every split point.",
            AllowMultipleArgumentsPerToken = true,
        };
        if (allByDefault) o.DefaultValueFactory = _ => ["auto"];
        return o;
    }

    /// <summary><c>--images</c>/<c>-n</c>: target images attacked, the same name in every verb.</summary>
    public static Option<int> Images(int defaultValue, string description) => new("--images", "-n") { Description = description, DefaultValueFactory = _ => defaultValue };

    /// <summary>The name the user typed for <paramref name="option"/> (an alias such as <c>--at</c>, or its name), so that
    /// error messages name what is on the command line.</summary>
    public static string Typed(ParseResult parse, Option option)
    {
        ArgumentNullException.ThrowIfNull(parse);
        ArgumentNullException.ThrowIfNull(option);
        return parse.GetResult(option)?.IdentifierToken?.Value ?? option.Name;
    }

    public static Option<int> Seed() => new("--seed") { Description = "Random seed; results are deterministic for a given seed.", DefaultValueFactory = _ => 1 };

    public static Option<string> Device() => new("--device")
    {
        Description = "Execution provider: cpu (default) or cuda (needs a CUDA build of ONNX Runtime and a GPU; fails with a clear message otherwise).",
        DefaultValueFactory = _ => "cpu",
    };

    // why: one intra-op thread per session measured faster than two for the gradient, white-box and decoder loops on the
    // 2-core bench machine (bench/README.md, "Threads"); the second thread only pays on large single gradients.
    public static Option<int> Threads() => new("--threads") { Description = "ONNX Runtime intra-op threads per session (default 1, measured fastest for the attack loops; 0 = one per core).", DefaultValueFactory = _ => 1 };

    /// <summary>Loads <paramref name="dataPath"/> and checks its images against the model input shape measured by the analyzer.</summary>
    public static OnnxAudit.Data.Dataset LoadData(string dataPath, Graph.GraphAnalysis analysis, string modelPath) =>
        Pipeline.AuditPipeline.LoadData(dataPath, analysis, modelPath);

    public static RuntimeOptions Runtime(string device, int threads) => new(ParseDevice(device), CheckThreads(threads));

    /// <summary>Bounds a count option to [<paramref name="min"/>, <paramref name="max"/>]; <paramref name="why"/> says what
    /// bounds it (e.g. "the 2000 images in the data").</summary>
    public static int CheckCount(int value, string option, int min, int max, string why)
    {
        if (value < min || value > max)
            throw new Errors.OnnxAuditException($"{option} {value}: must be between {min} and {max} ({why}); pass a value in that range.");
        return value;
    }

    /// <summary>Bounds --threads to 0 (one per core) … the core count.</summary>
    public static int CheckThreads(int threads)
    {
        var cores = Environment.ProcessorCount;
        if (threads < 0 || threads > cores)
            throw new Errors.OnnxAuditException($"--threads {threads}: must be between 0 (one per core) and {cores} (the cores of this machine); pass e.g. --threads {cores}.");
        return threads;
    }

    public static ExecutionDevice ParseDevice(string device) => device.ToLowerInvariant() switch
    {
        "cpu" => ExecutionDevice.Cpu,
        "cuda" or "gpu" => ExecutionDevice.Cuda,
        _ => throw new Errors.OnnxAuditException($"--device {Common.SafeText.Escape(device, 40)}: unknown device; use cpu or cuda."),
    };
}
