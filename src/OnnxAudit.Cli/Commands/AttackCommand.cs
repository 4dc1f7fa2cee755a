using OnnxAudit.Audits;
using System.CommandLine;
using System.Globalization;
using OnnxAudit.Audits.Exclusivity;
using OnnxAudit.Audits.GradientAttack;
using OnnxAudit.Errors;
using OnnxAudit.Imaging;

namespace OnnxAudit.Cli.Commands;

/// <summary><c>onnx-audit attack gradient MODEL --data D [--batch-size M] [--batches K] -o DIR</c>: simulates the analytic
/// gradient attack (Pan et al. §5, Appendix B) and writes one PNG per batch (row 1 originals, row 2 reconstructions) and summary.json.</summary>
internal static class AttackCommand
{
    public static Command Create(CliConsole console)
    {
        var command = new Command("attack", "Simulate a data-reconstruction attack and write what the attacker recovers.");
        command.Subcommands.Add(Gradient(console));
        return command;
    }

    private static Command Gradient(CliConsole console)
    {
        var model = CommonOptions.Model();
        var data = CommonOptions.Data(required: true);
        var output = CommonOptions.OutputDir();
        var batch = ExclusivityCommand.BatchSize();
        var batches = new Option<int>("--batches") { Description = "Insecure batches to attack (and as many random batches).", DefaultValueFactory = _ => 4 };
        var seed = CommonOptions.Seed();
        var device = CommonOptions.Device();
        var threads = CommonOptions.Threads();
        var json = CommonOptions.Json();
        var command = new Command("gradient",
            "Attack the victim's batch-averaged gradient with the analytic attack of Pan et al. (B.1–B.3, bias-division input recovery) on insecure and random " +
            "batches; write batch-NN-<state>.png (originals over reconstructions, gray = not recovered) and summary.json into the output folder.")
        {
            model, data, output, batch, batches, seed, device, threads, json,
        };
        var flags = new DataFlags();
        flags.AddTo(command);
        command.SetAction(parse =>
        {
            var outDir = parse.GetRequiredValue(output);
            ReportCommand.CheckOutputDir(outDir);
            var runtime = CommonOptions.Runtime(parse.GetValue(device)!, parse.GetValue(threads));
            var (loaded, analysis, dataset) = ExclusivityCommand.LoadInputs(parse.GetRequiredValue(model), parse.GetRequiredValue(data)!, runtime, flags.Read(parse));
            var m = parse.GetValue(batch);
            ExclusivityCommand.CheckBatchSize(m, dataset);
            var k = parse.GetValue(batches);
            CommonOptions.CheckCount(k, "--batches", 1, 1_000, "each batch is one gradient attack with its images written to disk");
            if (!dataset.HasLabels) throw new DataFormatException($"{dataset.Source}: no labels were found; the victim's gradient needs labels (put the labels file beside the images).");
            return SpectreProgress.Run(console, progress =>
            {
                var layers = HeadReluLayers.From(analysis.Head!);
                using var context = new AuditContext(loaded, analysis, dataset, runtime);
                var r = GradientAttackSimulation.Run(context, loaded,
                    layers, AttackSimulationOptions.Default with { BatchSize = m, InsecureBatches = k, RandomBatches = k, Seed = parse.GetValue(seed), Runtime = runtime }, progress);

                Directory.CreateDirectory(outDir);
                var ic = CultureInfo.InvariantCulture;
                int c = (int)r.SampleDims[0], h = (int)r.SampleDims[1], w = (int)r.SampleDims[2];
                var files = new List<string>();
                for (var i = 0; i < r.Batches.Count; i++)
                {
                    var b = r.Batches[i];
                    var name = string.Create(ic, $"batch-{i + 1:D2}-{b.State.ToString().ToLowerInvariant()}.png");
                    var gray = Enumerable.Repeat(0.5f, c * h * w).ToArray();
                    ImageGrid.WritePng(Path.Combine(outDir, name),
                        [[.. b.Samples.Select(s => s.Original!)], [.. b.Samples.Select(s => s.ImageReconstruction ?? gray)]], c, h, w, scale: 2);
                    files.Add(name);
                }
                var summary = new
                {
                    model = loaded.Origin,
                    stage = r.Stage,
                    batchSize = m,
                    insecure = r.Insecure,
                    random = r.Random,
                    batches = r.Batches.Select((b, i) => new
                    {
                        image = files[i],
                        state = b.State.ToString().ToLowerInvariant(),
                        indices = b.DatasetIndices,
                        inferredBatchSize = b.InferredBatchSize,
                        labelAccuracy = b.LabelAccuracy,
                        meanPsnr = b.MeanPsnr,
                        meanSsim = b.MeanSsim,
                        recovered = b.Recovered,
                        samples = b.Samples.Select(s => new { index = s.DatasetIndex, label = s.TrueLabel, recoveredLabel = s.RecoveredLabel, psnr = s.Psnr, ssim = s.Ssim }),
                        explanation = b.Explanation,
                        notes = b.Notes,
                    }),
                };
                var path = Path.Combine(outDir, "summary.json");
                var tmp = path + ".tmp";
                var text = VerbJson.ToText("attack gradient", summary);
                File.WriteAllText(tmp, text);
                File.Move(tmp, path, overwrite: true);
                if (parse.GetValue(json)) console.Out.WriteLine(text);
                else console.Out.WriteLine(string.Create(ic,
                    $"insecure batches: {r.Insecure.Batches}, batch size exact {r.Insecure.BatchSizeExact}, label accuracy {r.Insecure.LabelAccuracy:P1}, mean PSNR {r.Insecure.MeanPsnr:F1} dB; " +
                    $"random batches: {r.Random.Batches}, label accuracy {r.Random.LabelAccuracy:P1}, recovered {r.Random.RecoveredShare:P1}"));
                if (!parse.GetValue(json)) console.Out.WriteLine($"wrote {files.Count} images and summary.json to {outDir}");
                var recovered = r.Batches.SelectMany(b => b.Samples).Any(s => s.Psnr >= 30);
                return recovered ? ExitCodes.Findings : ExitCodes.Ok;
            });
        });
        return command;
    }
}
