using OnnxAudit.Audits;
using OnnxAudit.Pipeline;
using OnnxAudit.Reporting.Sections;
using OnnxAudit.Runtime;
using System.CommandLine;
using System.Globalization;
using OnnxAudit.Audits.SplitInversion;
using OnnxAudit.Data;
using OnnxAudit.Errors;
using OnnxAudit.Graph;
using OnnxAudit.Onnx;

namespace OnnxAudit.Cli.Commands;

/// <summary><c>onnx-audit split MODEL --data D [--splits TENSOR...] [--attacks …] [--images N] [--iterations N] [--lr X] [--tv X]
/// [--aux-data D] [--quick] [--seed S] [--json]</c>: split-point inversion audit (He et al.). With --at the exit code is
/// 0 when the split point is safe and 1 when it is unsafe.</summary>
internal static class SplitCommand
{
    public static Command Create(CliConsole console)
    {
        var model = CommonOptions.Model();
        var data = CommonOptions.Data(required: true);
        var at = CommonOptions.Splits(allByDefault: false);
        var failOn = CommonOptions.FailOn();
        var allowNotAssessed = CommonOptions.AllowNotAssessed();
        var attacks = new Option<string>("--attacks") { Description = "Comma-separated attacks: whitebox, blackbox, queryfree.", DefaultValueFactory = _ => "whitebox,blackbox,queryfree" };
        var images = CommonOptions.Images(8, "Target images to reconstruct (drawn with --seed; the other images are the attacker's auxiliary data).");
        var iterations = new Option<int?>("--iterations") { Description = "White-box iterations (default per depth class: 5000; 300 with --quick)." };
        var lr = new Option<double?>("--lr") { Description = "White-box Adam learning rate (default per depth class: 1e-2, fc1 1e-3)." };
        var tv = new Option<double?>("--tv") { Description = "White-box total-variation weight λ (default per depth class: conv1 0, ReLU2 10, ReLU3 1e3, fc1 1e4)." };
        var steps = new Option<int?>("--training-steps") { Description = "Most Adam steps for the inverse network and the shadow prefix (default 2000; 300 with --quick); training stops earlier when the loss on 10 % held-out auxiliary images stops improving." };
        var aux = new Option<string?>("--aux-data") { Description = "The attacker's auxiliary data (same formats as --data; labels needed for queryfree). Default: the --data images not chosen as targets." };
        var quick = new Option<bool>("--quick") { Description = "Short run (at most 4 split points spread over depth without --splits, 300 white-box iterations, at most 300 training steps); under-estimates the attacks." };
        var psnr = new Option<double>("--psnr-threshold") { Description = "Unsafe when an attack's mean PSNR (dB) reaches this.", DefaultValueFactory = _ => SplitThresholds.Default.Psnr };
        var ssim = new Option<double>("--ssim-threshold") { Description = "Unsafe when an attack's mean SSIM reaches this.", DefaultValueFactory = _ => SplitThresholds.Default.Ssim };
        var seed = CommonOptions.Seed();
        var json = CommonOptions.Json();
        var device = CommonOptions.Device();
        var threads = CommonOptions.Threads();
        var command = new Command("split",
            "Attack every split point (or --splits) with the white-box, black-box and query-free inversion attacks of He et al. and judge it safe or unsafe. " + ExitCodes.HelpText)
        {
            model, data, at, attacks, images, iterations, lr, tv, steps, aux, quick, psnr, ssim, seed, json, device, threads, failOn, allowNotAssessed,
        };
        var flags = new DataFlags();
        flags.AddTo(command);
        command.SetAction(parse =>
        {
            var modelPath = parse.GetRequiredValue(model);
            var dataPath = parse.GetRequiredValue(data)!;
            var runtime = CommonOptions.Runtime(parse.GetValue(device)!, parse.GetValue(threads));
            var attackList = ParseAttacks(parse.GetValue(attacks)!);
            var n = parse.GetValue(images);
            if (n < 1) throw new OnnxAuditException($"--images {n}: must be at least 1; pass a positive number of images.");
            if (parse.GetValue(iterations) is { } it && it < 1) throw new OnnxAuditException($"--iterations {it}: must be at least 1; pass a positive iteration count.");
            if (parse.GetValue(steps) is { } st && st < 1) throw new OnnxAuditException($"--training-steps {st}: must be at least 1; pass a positive step count.");
            if (parse.GetValue(lr) is { } l && !(l > 0)) throw new OnnxAuditException($"--lr {l.ToString(CultureInfo.InvariantCulture)}: must be > 0; pass a positive learning rate such as --lr 0.01.");
            if (parse.GetValue(tv) is { } t && !(t >= 0)) throw new OnnxAuditException($"--tv {t.ToString(CultureInfo.InvariantCulture)}: must be ≥ 0; pass 0 (no total-variation prior) or a positive weight.");
            var (loaded, analysis) = AuditPipeline.LoadModel(modelPath, runtime, flags.Read(parse));
            var atList = parse.GetValue(at);
            if (atList is not null && atList.Any(string.IsNullOrWhiteSpace))
                throw new OnnxAuditException($"{CommonOptions.Typed(parse, at)} '': a split point name is empty; pass tensor names or layer labels from `onnx-audit inspect` (or leave the option out to audit every split point).");
            var atValue = atList is null || atList.Length == 0 || (atList.Length == 1 && atList[0] == "all") ? null : string.Join(',', atList);
            SplitInversionAuditor.SelectPoints(loaded, analysis, atValue, CommonOptions.Typed(parse, at)); // fail fast on a bad --splits, before loading data
            var dataset = AuditPipeline.LoadData(dataPath, analysis, modelPath, flags.Read(parse), loaded);
            Dataset? auxSet = null;
            if (parse.GetValue(aux) is { } auxPath) auxSet = AuditPipeline.LoadData(auxPath, analysis, modelPath, flags.Read(parse), loaded);
            CommonOptions.CheckCount(n, "--images", 1, auxSet is null ? Math.Max(1, dataset.N - 1) : dataset.N,
                auxSet is null ? $"the {dataset.N} images in {dataPath}, one of which at least the attacker keeps as auxiliary data" : $"the {dataset.N} images in {dataPath}");
            var options = new SplitAuditOptions
            {
                At = atValue,
                Attacks = attackList,
                Images = n,
                Iterations = parse.GetValue(iterations),
                Lr = parse.GetValue(lr),
                Tv = parse.GetValue(tv),
                TrainingSteps = parse.GetValue(steps),
                Quick = parse.GetValue(quick),
                Seed = parse.GetValue(seed),
                Thresholds = new SplitThresholds(parse.GetValue(psnr), parse.GetValue(ssim)),
                Runtime = runtime,
                AuxData = auxSet,
            };
            var progress = new ConsoleProgress(console.Error, console.Interactive);
            using var context = new AuditContext(loaded, analysis, dataset, runtime);
            var result = SplitPointAuditor.Instance.Run(context, options, progress);
            var contribution = SplitInversionReport.Build(result);
            // why: a quick verb run is provisional like a quick report (issue 13): the verdict carries its budget.
            if (options.Quick)
                contribution = contribution with { Verdict = contribution.Verdict with { QuickBudget = SplitVerdict.QuickBudget(options, result.Plan), FullRunAdds = SplitVerdict.FullRunAdds } };
            if (parse.GetValue(json)) VerbJson.Write(console, "split", Summary(result, contribution.Verdict));
            else
            {
                var section = contribution.Sections[0];
                foreach (var block in section.Blocks.Where(b => b is Reporting.Model.TableBlock or Reporting.Model.FindingBlock))
                    SpectreBlocks.Write(console.Ansi, block);
                console.Out.WriteLine(result.Recommended is { } rec
                    ? $"earliest safe split point: {rec.ProducerLabel} ({rec.Tensor}){SplitInversionReport.OnlyAgainst(result)}"
                    : result.AnyUnsafe ? "no audited split point is safe" : "every audited split point is safe" + SplitInversionReport.OnlyAgainst(result));
                if (SplitVerdict.SubsetCaveat(result) is { } caveat) console.Out.WriteLine(caveat);
            }
            return ExitCodes.ForVerdict(contribution.Verdict, parse.GetValue(failOn), parse.GetValue(allowNotAssessed), console);
        });
        return command;
    }

    internal static IReadOnlyList<SplitAttack> ParseAttacks(string text)
    {
        var list = new List<SplitAttack>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            list.Add(part.ToLowerInvariant() switch
            {
                "whitebox" or "white-box" => SplitAttack.WhiteBox,
                "blackbox" or "black-box" => SplitAttack.BlackBox,
                "queryfree" or "query-free" => SplitAttack.QueryFree,
                _ => throw new OnnxAuditException($"--attacks {text}: unknown attack '{part}'; use a comma-separated list of whitebox, blackbox, queryfree."),
            });
        }
        if (list.Count == 0) throw new OnnxAuditException($"--attacks {text}: no attack given; use a comma-separated list of whitebox, blackbox, queryfree.");
        return list.Distinct().ToList();
    }

    /// <summary>The result without pixels, for --json.</summary>
    private static object Summary(SplitInversionResult r, Reporting.Model.ThreatVerdict verdict) => new
    {
        model = r.ModelOrigin,
        data = r.DataSource,
        aux = r.AuxSource,
        auxImages = r.AuxImages,
        targets = r.TargetIndices,
        r.Seed,
        r.Quick,
        thresholds = r.Thresholds,
        attacks = SplitVerdict.Requested(r).Select(SplitInversionReport.Name),
        verdict = Reporting.JsonReportRenderer.VerdictNode(verdict),
        rule = r.VerdictRule,
        recommendationRule = SplitInversionResult.RecommendationRule,
        recommended = r.Recommended?.Tensor,
        points = r.Points.Select(p => new
        {
            tensor = p.Point.Tensor,
            layer = p.Point.ProducerLabel,
            shape = p.Point.Shape,
            p.Depth,
            depthClass = WhiteBoxHyperparameters.Label(p.Class),
            @unsafe = p.Unsafe,
            equivalent = p.Equivalent.Select(e => e.Tensor),
            attacks = p.Attacks.Select(a => new
            {
                attack = SplitInversionReport.Name(a.Attack),
                ran = a.Ran,
                psnr = a.MeanPsnr,
                ssim = a.MeanSsim,
                psnrPerImage = a.Psnr,
                ssimPerImage = a.Ssim,
                @unsafe = a.Unsafe,
                a.Settings,
                a.Seconds,
                a.Note,
                a.Budget,
            }),
        }),
    };
}
