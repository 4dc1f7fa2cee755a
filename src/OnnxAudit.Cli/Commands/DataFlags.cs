using System.CommandLine;
using OnnxAudit.Data;

namespace OnnxAudit.Cli.Commands;

/// <summary>The preprocessing options every verb with data takes (<c>--resize</c>, <c>--center-crop</c>, <c>--channels</c>,
/// <c>--normalize</c>, <c>--mean</c>, <c>--std</c>, <c>--classes</c>), spelled and documented once.</summary>
internal sealed class DataFlags
{
    public Option<int?> Resize { get; } = new("--resize") { Description = "Resize every image so its shorter side is N pixels (bilinear, antialiased, as torchvision's Resize(N))." };
    public Option<string?> CenterCrop { get; } = new("--center-crop") { Description = "Centre-crop to H or H,W pixels after resizing (torchvision's CenterCrop)." };
    public Option<int?> Channels { get; } = new("--channels") { Description = "Convert images to 1 (grey) or 3 (RGB) channels." };
    public Option<string?> Normalize { get; } = new("--normalize") { Description = "The model's input normalisation preset: imagenet, cifar10, cifar100, mnist or none (default). Folded into the audited graph: attacks and metrics stay in [0,1] pixels." };
    public Option<string?> Mean { get; } = new("--mean") { Description = "Per-channel mean of the model's normalisation (x − mean) / std, comma-separated (e.g. 0.485,0.456,0.406); with --std." };
    public Option<string?> Std { get; } = new("--std") { Description = "Per-channel std of the model's normalisation, comma-separated; with --mean." };
    public Option<string?> Classes { get; } = new("--classes") { Description = "Class names in the model's index order: one per line, or a JSON list; maps image-folder names to class indices (default: sorted folder names → 0..K−1)." };

    public IEnumerable<Option> All => [Resize, CenterCrop, Channels, Normalize, Mean, Std, Classes];

    public void AddTo(Command command)
    {
        foreach (var o in All) command.Add(o);
    }

    /// <summary>The preprocessing stated on the command line; throws <see cref="Errors.OnnxAuditException"/> (exit 2) for bad values.</summary>
    public Preprocessing Read(ParseResult parse) => Preprocessing.From(parse.GetValue(Resize), parse.GetValue(CenterCrop), parse.GetValue(Channels),
        parse.GetValue(Normalize), parse.GetValue(Mean), parse.GetValue(Std), parse.GetValue(Classes));
}
