using OnnxAudit.Pipeline;
using OnnxAudit.Reporting.Sections;
using OnnxAudit.Runtime;
using System.CommandLine;
using OnnxAudit.Audits.RConv;
using OnnxAudit.Data;
using OnnxAudit.Graph;
using OnnxAudit.Onnx;

namespace OnnxAudit.Cli.Commands;

/// <summary><c>onnx-audit rconv MODEL [--data D --reconstruct N] [--json]</c>: R-CONV conditions per conv layer; with data,
/// rank checks and analytic reconstructions from single-sample gradients.</summary>
internal static class RConvCommand
{
    public static Command Create(CliConsole console)
    {
        var model = CommonOptions.Model();
        var data = CommonOptions.Data();
        var reconstruct = CommonOptions.Images(10, "Images to reconstruct from their single-sample gradients when --data is given (0 = conditions and rank checks only).");
        reconstruct.Aliases.Add("--reconstruct");
        var failOn = CommonOptions.FailOn();
        var allowNotAssessed = CommonOptions.AllowNotAssessed();
        var json = CommonOptions.Json();
        var seed = CommonOptions.Seed();
        var device = CommonOptions.Device();
        var threads = CommonOptions.Threads();
        var command = new Command("rconv", "R-CONV convolutional gradient leakage: per-layer filter-count conditions, rank checks on real gradients, and the analytic reconstruction. " + ExitCodes.HelpText)
        {
            model, data, reconstruct, json, seed, device, threads, failOn, allowNotAssessed,
        };
        var flags = new DataFlags();
        flags.AddTo(command);
        command.SetAction(parse =>
        {
            var path = parse.GetRequiredValue(model);
            var n = parse.GetValue(reconstruct);
            if (n < 0) throw new Errors.OnnxAuditException($"{CommonOptions.Typed(parse, reconstruct)} {n}: must be 0 or more.");
            var runtime = CommonOptions.Runtime(parse.GetValue(device)!, parse.GetValue(threads));
            var (loaded, analysis) = AuditPipeline.LoadModel(path, runtime, flags.Read(parse));
            Dataset? dataset = null;
            if (parse.GetValue(data) is { } dataPath)
            {
                dataset = AuditPipeline.LoadData(dataPath, analysis, path, flags.Read(parse), loaded);
                CommonOptions.CheckCount(n, "--reconstruct", 0, dataset.N, $"the {dataset.N} images in {dataPath}");
            }
            var options = RConvOptions.Default with { Images = dataset is null ? 0 : n, Seed = parse.GetValue(seed), Runtime = runtime };
            var result = RConvAuditor.Run(loaded, analysis, dataset, options, new ConsoleProgress(console.Error, console.Interactive));
            var contribution = RConvReport.Build(result);
            if (parse.GetValue(json)) VerbJson.Write(console, "rconv", Summary(result));
            else foreach (var section in contribution.Sections) SpectreBlocks.Write(console.Ansi, section);
            return ExitCodes.ForVerdict(contribution.Verdict, parse.GetValue(failOn), parse.GetValue(allowNotAssessed), console);
        });
        return command;
    }

    /// <summary>The result without pixel arrays (those go to the report).</summary>
    internal static object Summary(RConvAuditResult r) => new
    {
        model = r.ModelOrigin,
        sha256 = r.ModelSha256,
        notAssessedReason = r.NotAssessedReason,
        imageShape = r.ImageShape,
        verdict = Reporting.JsonReportRenderer.VerdictNode(RConvReport.Build(r).Verdict),
        conditions = r.Conditions.Select(c => new
        {
            layer = c.Geometry.Name,
            inChannels = c.Geometry.InChannels, filters = c.Geometry.OutChannels, kernel = new[] { c.Geometry.KernelH, c.Geometry.KernelW },
            stride = new[] { c.Geometry.StrideH, c.Geometry.StrideW }, groups = c.Geometry.Groups,
            input = new[] { c.Geometry.InH, c.Geometry.InW }, output = new[] { c.Geometry.OutH, c.Geometry.OutW },
            unknownsX = c.UnknownsX, forwardA = c.ForwardConstraintsA, gradientB = c.GradientConstraintsB,
            rowsPerChannel = c.RowsPerChannel, unknownsPerChannel = c.UnknownsPerChannel,
            gradientCondition = c.GradientConditionHolds, phaseRows = c.PhaseRows, phaseUnknowns = c.PhaseUnknowns,
            forwardCount = c.ForwardCountHolds, following = c.FollowingOpType, activationInvertible = c.ActivationInvertible,
            mitigationRule = c.MitigationRuleHolds, maxSafeFilters = c.MaxSafeFilters, verdict = c.Verdict.ToString(), explanation = c.Explanation,
        }),
        rankChecks = r.RankChecks,
        chainBreakLayer = r.ChainBreakLayer,
        chainBreakReason = r.ChainBreakReason,
        seed = r.Seed,
        meanPsnr = r.MeanPsnr,
        meanSsim = r.MeanSsim,
        meanSecondsPerImage = r.MeanSecondsPerImage,
        images = r.Images.Select(i => new
        {
            index = i.DataIndex, label = i.Label, psnr = i.Psnr, ssim = i.Ssim, seconds = i.Detail.Seconds,
            failedLayer = i.Detail.FailedLayer, failureReason = i.Detail.FailureReason,
            steps = i.Detail.Steps.Select(s => new { layer = s.Layer, method = s.Method.ToString(), rows = s.Rows, unknowns = s.Unknowns, residual = s.RelativeResidual, seconds = s.Seconds, iterations = s.Iterations }),
        }),
    };
}
