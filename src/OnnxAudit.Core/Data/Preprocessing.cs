using System.Globalization;
using OnnxAudit.Errors;

namespace OnnxAudit.Data;

/// <summary>
/// How the user's images become the model's input, stated once (flags or <c>onnx-audit.yaml</c>) and applied identically
/// by every verb. Resize, crop and channel conversion are applied to the data when it is loaded (pixels stay in [0,1]);
/// mean/std normalisation is not applied to the data: it is folded into the audited graph as a prefix
/// (<c>ModelEditor.PrependNormalization</c>), so every attack and metric works in [0,1] pixel space. Immutable.
/// </summary>
/// <param name="Resize">Shorter side after resizing (bilinear, antialiased as torchvision's <c>Resize(N)</c> on PIL
/// images), or null for no resizing.</param>
/// <param name="CropHeight">Centre crop height (torchvision <c>CenterCrop</c>), or null.</param>
/// <param name="CropWidth">Centre crop width, or null (= <paramref name="CropHeight"/>).</param>
/// <param name="Channels">1 (RGB → grey, ITU-R 601 luma as PIL's <c>convert("L")</c>) or 3 (grey → RGB), or null
/// (keep; an image folder with any colour image becomes RGB).</param>
/// <param name="Mean">Per-channel mean (1 or C values) of the model's normalisation (x − mean) / std, or null.</param>
/// <param name="Std">Per-channel std (1 or C values, &gt; 0), or null.</param>
/// <param name="NormalizeName">The preset the mean/std came from (imagenet, cifar10, …), "custom" or "none".</param>
/// <param name="ClassesPath">Class map file (one class name per line in index order, or a JSON list / name→index
/// object), or null (sorted folder names → 0..K−1, or the model's class names when it declares them).</param>
public sealed record Preprocessing(
    int? Resize = null,
    int? CropHeight = null,
    int? CropWidth = null,
    int? Channels = null,
    IReadOnlyList<float>? Mean = null,
    IReadOnlyList<float>? Std = null,
    string NormalizeName = "none",
    string? ClassesPath = null)
{
    /// <summary>No preprocessing: data as stored, no normalisation, default labels.</summary>
    public static Preprocessing None { get; } = new();

    /// <summary>Names accepted by <see cref="Preset"/>.</summary>
    public static IReadOnlyList<string> PresetNames { get; } = ["imagenet", "cifar10", "cifar100", "mnist", "none"];

    /// <summary>True when a mean/std normalisation is stated.</summary>
    public bool Normalizes => Mean is not null && Std is not null;

    /// <summary>True when resize, crop or channel conversion changes the loaded images.</summary>
    public bool TransformsImages => Resize is not null || CropHeight is not null || Channels is not null;

    /// <summary>The mean/std of a named preset (torchvision's usual constants); null for "none".</summary>
    /// <exception cref="OnnxAuditException">Unknown name.</exception>
    public static (float[] Mean, float[] Std)? Preset(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return name.ToLowerInvariant() switch
        {
            "imagenet" => ([0.485f, 0.456f, 0.406f], [0.229f, 0.224f, 0.225f]),
            "cifar10" => ([0.4914f, 0.4822f, 0.4465f], [0.2470f, 0.2435f, 0.2616f]),
            "cifar100" => ([0.5071f, 0.4865f, 0.4409f], [0.2673f, 0.2564f, 0.2762f]),
            "mnist" => ([0.1307f], [0.3081f]),
            "none" => null,
            _ => throw new OnnxAuditException($"--normalize {name}: unknown preset; use one of {string.Join(", ", PresetNames)}, or give --mean and --std."),
        };
    }

    /// <summary>Builds the preprocessing from command-line style values, checking each one.</summary>
    /// <exception cref="OnnxAuditException">A value is out of range or inconsistent (one line naming the option and the fix).</exception>
    public static Preprocessing From(int? resize, string? centerCrop, int? channels, string? normalize, string? mean, string? std, string? classes)
    {
        if (resize is < 1 or > 16384) throw new OnnxAuditException($"--resize {resize}: must be a size in pixels between 1 and 16384; pass e.g. --resize 256.");
        int? ch = null, cw = null;
        if (centerCrop is { Length: > 0 })
        {
            var parts = centerCrop.Split(',', 'x', '×').Select(p => p.Trim()).ToArray();
            if (parts.Length is < 1 or > 2 || !parts.All(p => int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out var v) && v is >= 1 and <= 16384))
                throw new OnnxAuditException($"--center-crop {centerCrop}: expected H or H,W in pixels; pass e.g. --center-crop 224 or 224,224.");
            ch = int.Parse(parts[0], CultureInfo.InvariantCulture);
            cw = parts.Length == 2 ? int.Parse(parts[1], CultureInfo.InvariantCulture) : ch;
        }
        if (channels is not (null or 1 or 3)) throw new OnnxAuditException($"--channels {channels}: must be 1 (grey) or 3 (RGB); pass --channels 1 or --channels 3.");
        var meanV = ParseList(mean, "--mean");
        var stdV = ParseList(std, "--std");
        string name = "none";
        if (normalize is { Length: > 0 } && !normalize.Equals("none", StringComparison.OrdinalIgnoreCase))
        {
            if (meanV is not null || stdV is not null)
                throw new OnnxAuditException($"--normalize {normalize} and --mean/--std both given; pass a preset or explicit values, not both.");
            var p = Preset(normalize)!.Value;
            (meanV, stdV, name) = (p.Mean, p.Std, normalize.ToLowerInvariant());
        }
        else if (normalize is not null) _ = Preset(normalize);
        if ((meanV is null) != (stdV is null))
            throw new OnnxAuditException("--mean and --std must be given together; pass both (e.g. --mean 0.5 --std 0.5), a --normalize preset, or neither.");
        if (stdV is not null && stdV.Any(s => !(s > 0) || !float.IsFinite(s)))
            throw new OnnxAuditException($"--std {std}: every value must be positive and finite; pass e.g. --std 0.229,0.224,0.225.");
        if (meanV is not null && meanV.Any(m => !float.IsFinite(m)))
            throw new OnnxAuditException($"--mean {mean}: every value must be finite; pass e.g. --mean 0.485,0.456,0.406.");
        if (meanV is not null && stdV is not null && meanV.Length != stdV.Length && meanV.Length != 1 && stdV.Length != 1)
            throw new OnnxAuditException($"--mean has {meanV.Length} values but --std has {stdV.Length}; give one value per channel for both.");
        if (meanV is not null && name == "none") name = "custom";
        return new Preprocessing(resize, ch, cw, channels, meanV, stdV, name, classes is { Length: > 0 } ? classes : null);
    }

    private static float[]? ParseList(string? text, string option)
    {
        if (text is null) return null;
        var parts = text.Split([',', ' '], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var values = new float[parts.Length];
        for (var i = 0; i < parts.Length; i++)
        {
            if (!float.TryParse(parts[i], NumberStyles.Float, CultureInfo.InvariantCulture, out values[i]))
                throw new OnnxAuditException($"{option} {text}: '{parts[i]}' is not a number; give comma-separated values (e.g. 0.485,0.456,0.406).");
        }
        if (values.Length is 0 or > 4) throw new OnnxAuditException($"{option} {text}: not 1 to 4 comma-separated values; give one value per channel, e.g. 0.5 or 0.485,0.456,0.406.");
        return values;
    }

    /// <summary>One line for the report's data section and the console, e.g.
    /// "resize 64 (shorter side, bilinear antialiased) → RGB → normalize imagenet (mean 0.485,0.456,0.406; std …) folded into the graph".</summary>
    public string Describe()
    {
        var steps = new List<string>();
        if (Resize is { } r) steps.Add(string.Create(CultureInfo.InvariantCulture, $"resize {r} (shorter side, bilinear, antialiased)"));
        if (CropHeight is { } h) steps.Add(string.Create(CultureInfo.InvariantCulture, $"center crop {h}×{CropWidth ?? h}"));
        if (Channels is { } c) steps.Add(c == 1 ? "to grey (1 channel)" : "to RGB (3 channels)");
        steps.Add("pixel/255 → [0,1]");
        if (Normalizes)
            steps.Add($"normalize {NormalizeName} (mean {Join(Mean!)}; std {Join(Std!)}), folded into the audited graph as Sub/Div nodes");
        else steps.Add("no mean/std normalisation");
        if (ClassesPath is not null) steps.Add($"classes from {ClassesPath}");
        return string.Join(" → ", steps);
    }

    private static string Join(IReadOnlyList<float> v) => string.Join(",", v.Select(x => x.ToString("G6", CultureInfo.InvariantCulture)));
}
