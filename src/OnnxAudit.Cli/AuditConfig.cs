using OnnxAudit.Errors;
using YamlDotNet.Core;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace OnnxAudit.Cli;

/// <summary>
/// <c>onnx-audit.yaml</c>: model, data, preprocessing, classes, threats and budgets of a report run, read with YamlDotNet
/// (snake_case keys; unknown keys are an error). Command-line flags override it. Relative paths are taken as written
/// (relative to the working directory), as on the command line. Mutable DTO for (de)serialisation only.
/// </summary>
internal sealed class AuditConfig
{
    /// <summary>The auditor ids accepted under <c>threats</c>.</summary>
    public static IReadOnlyList<string> ThreatIds { get; } = ["exclusivity", "rconv", "split"];

    public string? Model { get; set; }
    public string? Data { get; set; }
    public string? Output { get; set; }
    public PreprocessingSection? Preprocessing { get; set; }
    public string? Classes { get; set; }
    public List<string>? Threats { get; set; }
    public BudgetsSection? Budgets { get; set; }
    public int? Seed { get; set; }
    public string? Device { get; set; }
    public int? Threads { get; set; }
    public string? Formats { get; set; }

    internal sealed class PreprocessingSection
    {
        public int? Resize { get; set; }
        public string? CenterCrop { get; set; }
        public int? Channels { get; set; }
        public string? Normalize { get; set; }
        public List<float>? Mean { get; set; }
        public List<float>? Std { get; set; }
    }

    internal sealed class BudgetsSection
    {
        public bool? Quick { get; set; }
        public int? BatchSize { get; set; }
        public List<string>? Splits { get; set; }
    }

    /// <summary>Reads and checks a config file.</summary>
    /// <exception cref="OnnxAuditException">Missing file, YAML error or unknown key (one line with the line number and the fix).</exception>
    public static AuditConfig Load(string path)
    {
        Common.InputFile.Require(path, "a config file (onnx-audit.yaml; write one with 'onnx-audit init MODEL --data D')");
        var text = File.ReadAllText(path);
        AuditConfig? config;
        try
        {
            config = new DeserializerBuilder().WithNamingConvention(UnderscoredNamingConvention.Instance).Build().Deserialize<AuditConfig>(text);
        }
        catch (YamlException e)
        {
            var inner = e.InnerException?.Message ?? e.Message;
            throw new OnnxAuditException($"{path}: line {e.Start.Line}: {inner.ReplaceLineEndings(" ")}; fix the YAML (keys: model, data, output, preprocessing, classes, threats, budgets, seed, device, threads, formats).");
        }
        config ??= new AuditConfig();
        if (config.Threats is { } t && t.FirstOrDefault(x => !ThreatIds.Contains(x, StringComparer.OrdinalIgnoreCase)) is { } bad)
            throw new OnnxAuditException($"{path}: threats: unknown threat '{bad}'; use any of {string.Join(", ", ThreatIds)}.");
        return config;
    }

    /// <summary>The config as YAML (null values omitted).</summary>
    public string ToYaml() => new SerializerBuilder().WithNamingConvention(UnderscoredNamingConvention.Instance)
        .ConfigureDefaultValuesHandling(DefaultValuesHandling.OmitNull).Build().Serialize(this);

    /// <summary>A commented starter config for <paramref name="model"/> and <paramref name="data"/>.</summary>
    public static string Starter(string model, string? data, string? inputShape) => $"""
        # onnx-audit.yaml — run with:  onnx-audit report --config onnx-audit.yaml
        # Command-line flags override these values. Paths are relative to the working directory.
        model: {model}
        # Image data: a folder of PNG/JPEG/WebP/BMP/GIF images (one sub-folder per class), a .npy array or an IDX file.
        data: {data ?? "path/to/images"}
        output: audit-report
        # The model input is {inputShape ?? "unknown"}. State the preprocessing the model was trained with, once:
        preprocessing:
          # resize: 224          # shorter side in pixels (bilinear, antialiased, as torchvision Resize)
          # center_crop: 224     # H or "H,W" (torchvision CenterCrop)
          # channels: 3          # 1 = grey, 3 = RGB
          normalize: none        # imagenet | cifar10 | cifar100 | mnist | none — folded into the audited graph
          # mean: [0.485, 0.456, 0.406]   # instead of a preset (with std)
          # std: [0.229, 0.224, 0.225]
        # classes: classes.txt   # class names in the model's index order (one per line); default: sorted folder names
        threats: [exclusivity, rconv, split]
        budgets:
          quick: true            # fewer batches, images and iterations for a first look; false for the full audit
          batch_size: 8          # the federated clients' training batch size M
          splits: [all]          # split points to attack: all, or tensor names (see 'onnx-audit inspect')
        seed: 1
        # device: cpu            # or cuda
        # formats: pdf,html,json

        """;
}
