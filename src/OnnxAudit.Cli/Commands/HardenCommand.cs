using OnnxAudit.Audits;
using OnnxAudit.Pipeline;
using OnnxAudit.Runtime;
using System.CommandLine;
using System.Globalization;
using OnnxAudit.Audits.Exclusivity;
using OnnxAudit.Data;
using OnnxAudit.Errors;
using OnnxAudit.Graph;
using OnnxAudit.Onnx;

namespace OnnxAudit.Cli.Commands;

/// <summary><c>onnx-audit harden MODEL --exclusivity-reduction -o OUT.onnx [--data D]</c>: removes the first ReLU of the classifier
/// head (Pan et al. Corollary 1), writes the hardened model atomically and, with data, verifies it.</summary>
internal static class HardenCommand
{
    public static Command Create(CliConsole console)
    {
        var model = CommonOptions.Model();
        var reduction = new Option<bool>("--exclusivity-reduction") { Description = "Remove the first ReLU of the classifier head (Corollary 1 of Pan et al.)." };
        var output = new Option<string>("--output", "-o") { Description = "Path of the hardened .onnx file.", Required = true };
        var data = CommonOptions.Data();
        var batch = ExclusivityCommand.BatchSize();
        var seed = CommonOptions.Seed();
        var device = CommonOptions.Device();
        var threads = CommonOptions.Threads();
        var json = CommonOptions.Json();
        var command = new Command("harden",
            "Write a hardened copy of the model. With --data: the secure proportion of batches larger than d_1, the attack's outcome and the accuracy before/after.")
        {
            model, reduction, output, data, batch, seed, device, threads, json,
        };
        var flags = new DataFlags();
        flags.AddTo(command);
        command.SetAction(parse =>
        {
            if (!parse.GetValue(reduction)) throw new OnnxAuditException("harden: no hardening chosen; pass --exclusivity-reduction.");
            var modelPath = parse.GetRequiredValue(model);
            var outPath = parse.GetRequiredValue(output);
            Common.OutputPath.CheckFile(outPath, "-o", modelPath);
            var runtime = CommonOptions.Runtime(parse.GetValue(device)!, parse.GetValue(threads));
            var (loaded, analysis) = AuditPipeline.LoadModel(modelPath, runtime, flags.Read(parse));
            if (ExclusivityAudit.NotApplicable(loaded, analysis) is { } reason)
                throw new UnsupportedOperatorException($"{modelPath}: {reason} Exclusivity reduction needs a ReLU in the classifier head.");
            var layers = HeadReluLayers.From(analysis.Head!);
            Dataset? dataset = null;
            var dataPath = parse.GetValue(data);
            if (dataPath is not null)
            {
                dataset = AuditPipeline.LoadData(dataPath, analysis, modelPath, flags.Read(parse), loaded);
                ExclusivityCommand.CheckBatchSize(parse.GetValue(batch), dataset);
            }
            // why: the written model keeps the user's input contract, so it is made from the file, not from the audited
            // graph (which may carry the normalisation prefix).
            var hardened = ExclusivityHardening.RemoveFirstHeadRelu(OnnxModel.Load(modelPath), layers[0].OutputName);
            var dir = Path.GetDirectoryName(Path.GetFullPath(outPath));
            if (dir is not null) Directory.CreateDirectory(dir);
            hardened.Save(outPath);
            var asJson = parse.GetValue(json);
            object Payload(object? verification) => new
            {
                model = modelPath,
                output = outPath,
                removedRelu = layers[0].OutputName,
                d1 = layers[0].Width,
                verification,
            };
            if (!asJson) console.Out.WriteLine($"wrote {outPath}: removed the ReLU producing '{layers[0].OutputName}' (d_1 = {layers[0].Width})");
            if (dataset is null)
            {
                if (asJson) VerbJson.Write(console, "harden", Payload(null));
                return ExitCodes.Ok;
            }
            return SpectreProgress.Run(console, progress =>
            {
                using var context = new AuditContext(loaded, analysis, dataset, runtime);
                var v = ExclusivityHardening.Verify(context, layers, parse.GetValue(batch), 200, 4, parse.GetValue(seed), progress);
                var recovered = v.Attack?.Batches.SelectMany(b => b.Samples).Count(s => s.Psnr >= LeakageThresholds.RecoveredPsnr);
                if (asJson)
                {
                    VerbJson.Write(console, "harden", Payload(new
                    {
                        batchSize = v.Statistics.BatchSize,
                        secure = new { count = v.Statistics.Secure.Count, total = v.Statistics.Secure.Total },
                        attack = v.Attack is { } at ? new
                        {
                            batches = at.Batches.Count,
                            recoveredSamples = recovered!.Value,
                            recoveredPsnrThreshold = LeakageThresholds.RecoveredPsnr,
                            meanPsnr = at.Random.MeanPsnr,
                            inferredBatchSizes = at.Batches.Select(b => b.InferredBatchSize),
                        } : null,
                        accuracyBefore = v.AccuracyBefore,
                        accuracyAfter = v.AccuracyAfter,
                    }));
                    return ExitCodes.Ok;
                }
                var ic = CultureInfo.InvariantCulture;
                console.Out.WriteLine(string.Create(ic, $"secure batches of size {v.Statistics.BatchSize} (> d_1 = {v.FirstLayerWidth}): {v.Statistics.Secure.Count}/{v.Statistics.Secure.Total}"));
                if (v.Attack is { } a)
                {
                    // why: the mean PSNR is over recovered samples only; with none it is NaN, printed as "NaN dB" (issue 13).
                    var psnr = double.IsFinite(a.Random.MeanPsnr) ? string.Create(ic, $"mean PSNR {a.Random.MeanPsnr:F1} dB") : "no sample reconstructed, so no mean PSNR";
                    console.Out.WriteLine(string.Create(ic,
                        $"attack on {a.Batches.Count} random batches of size {parse.GetValue(batch)}: {recovered} samples recovered at PSNR >= {LeakageThresholds.RecoveredPsnr} dB, {psnr}, inferred batch sizes {string.Join(",", a.Batches.Select(b => b.InferredBatchSize))}"));
                }
                if (v.AccuracyBefore is { } b0 && v.AccuracyAfter is { } b1)
                    console.Out.WriteLine(string.Create(ic, $"accuracy before {b0:P2}, after (no retraining) {b1:P2}"));
                return ExitCodes.Ok;
            });
        });
        return command;
    }
}
