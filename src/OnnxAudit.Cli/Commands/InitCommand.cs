using System.CommandLine;
using OnnxAudit.Common;
using OnnxAudit.Errors;
using OnnxAudit.Onnx;

namespace OnnxAudit.Cli.Commands;

/// <summary><c>onnx-audit init MODEL [--data D] [-o onnx-audit.yaml]</c>: writes a commented starter config.</summary>
internal static class InitCommand
{
    public static Command Create(CliConsole console)
    {
        var model = CommonOptions.Model();
        var data = CommonOptions.Data();
        var output = new Option<string>("--output", "-o") { Description = "Config file to write.", DefaultValueFactory = _ => "onnx-audit.yaml" };
        var force = new Option<bool>("--force") { Description = "Overwrite an existing config file." };
        var json = CommonOptions.Json();
        var command = new Command("init", "Write a commented starter onnx-audit.yaml for MODEL and --data (then run 'onnx-audit report --config onnx-audit.yaml'). " + ExitCodes.HelpText)
        {
            model, data, output, force, json,
        };
        command.SetAction(parse =>
        {
            var modelPath = parse.GetRequiredValue(model);
            var outPath = parse.GetValue(output)!;
            if (Directory.Exists(outPath)) throw new OnnxAuditException($"{outPath}: is a folder; pass a file name such as onnx-audit.yaml with -o.");
            if (File.Exists(outPath) && !parse.GetValue(force)) throw new OnnxAuditException($"{outPath}: already exists; pass --force to overwrite it or -o to write another file.");
            var loaded = OnnxModel.Load(modelPath);
            var info = ModelEditor.DataInputInfo(loaded);
            var shape = info?.Type?.TensorType?.Shape is { } s
                ? "[" + string.Join(", ", s.Dim.Select(d => d.HasDimValue ? d.DimValue.ToString(System.Globalization.CultureInfo.InvariantCulture) : d.DimParam is { Length: > 0 } p ? p : "?")) + "]"
                : null;
            var dataPath = parse.GetValue(data);
            if (dataPath is not null && !File.Exists(dataPath) && !Directory.Exists(dataPath))
                throw new OnnxAuditException($"{dataPath}: not found; pass an existing data file or image folder with --data.");
            var text = System.Text.Encoding.UTF8.GetBytes(AuditConfig.Starter(modelPath, dataPath, shape));
            AtomicFile.Write(outPath, stream => stream.Write(text));
            if (parse.GetValue(json)) VerbJson.Write(console, "init", new { model = modelPath, data = dataPath, config = outPath, inputShape = shape });
            else console.Out.WriteLine($"wrote {outPath}; edit the preprocessing, then run: onnx-audit report --config {outPath}");
            return ExitCodes.Ok;
        });
        return command;
    }
}
