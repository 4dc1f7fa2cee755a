using System.Diagnostics;
using System.Globalization;
using OnnxAudit.Autodiff;
using OnnxAudit.Data;
using OnnxAudit.Errors;
using OnnxAudit.Graph;
using OnnxAudit.Metrics;
using OnnxAudit.Onnx;
using Onnx;
using OnnxAudit.Progress;
using OnnxAudit.Runtime;

namespace OnnxAudit.Audits.RConv;

/// <summary>
/// The R-CONV audit (Eltaras et al., WISE 2024; DESIGN.md "R-CONV"): the counting conditions of every conv layer on
/// the input → first-Gemm chain, the numerical rank of each layer's gradient system on real single-sample gradients,
/// and the analytic reconstruction of sample images from those gradients (what a federated client sends at batch 1).
/// Thread-safe (no shared state).
/// </summary>
public static class RConvAuditor
{
    /// <summary>Prefix of the zero initializers added after each conv output to read ∂ℓ/∂O (auditor's view only).</summary>
    internal const string ProbePrefix = "rconv.probe:";

    /// <summary>Runs the audit.</summary>
    /// <param name="model">The classifier.</param>
    /// <param name="analysis">Its graph analysis (conv geometry, shapes).</param>
    /// <param name="data">Labelled images for the rank check and the reconstruction, or null for the conditions only.</param>
    /// <param name="options">Images, seed, tolerances, runtime.</param>
    /// <param name="progress">Progress sink.</param>
    public static RConvAuditResult Run(OnnxModel model, GraphAnalysis analysis, Dataset? data, RConvOptions options, IAuditProgress progress)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(analysis);
        ArgumentNullException.ThrowIfNull(options);
        progress ??= NullProgress.Instance;
        int[]? shape = data is null ? null : [data.C, data.H, data.W];
        if (shape is null && analysis.Tensors.TryGetValue(analysis.InputTensor, out var ti) && ti.Shape.Count == 4)
            shape = ti.Shape.Skip(1).Select(v => (int)v).ToArray();
        RConvAuditResult NotAssessed(string why) => new(model.Origin, model.Sha256, why, shape ?? [], [], [], [], null, null, options.Seed, 0);

        if (!analysis.Layers.Any(l => l.Conv is not null))
            return NotAssessed("the model has no convolution layer, so there is no convolutional gradient to attack");
        RConvNetwork net;
        try { net = RConvNetwork.FromModel(model, shape); }
        catch (UnsupportedOperatorException e) { return NotAssessed(e.Message); }
        if (!net.Convs.Any())
            return NotAssessed(net.StopReason is { } stop
                ? $"no convolution lies on a linear chain from the input to a fully-connected layer ({stop})"
                : "no convolution lies on the chain from the input to the first fully-connected layer");
        if (net.Head is null)
            return NotAssessed($"the R-CONV walk needs a fully-connected layer after the convolutions: {net.StopReason}");

        var conditions = net.Conditions();
        CheckAgainstAnalysis(conditions, analysis);
        var (breakLayer, breakReason) = ChainBreak(net, conditions);

        var images = new List<RConvImageResult>();
        var ranks = new List<RConvRankCheckRow>();
        double gradSeconds = 0;
        var count = data is null ? 0 : Math.Min(options.Images, data.N);
        if (count > 0)
        {
            if (!data!.HasLabels)
                throw new DataFormatException($"{data.Source}: R-CONV needs labels (the client's gradient is the cross-entropy with its true label); pass a data set with labels.");
            var order = Enumerable.Range(0, data.N).ToArray();
            new Random(options.Seed).Shuffle(order);
            var picked = order.Take(count).ToArray();
            var probed = WithProbes(model, net);
            var parameters = FederatedGradient.FloatInitializers(model);
            var probes = net.Convs.Select(c => ProbePrefix + c.NodeName).ToList();
            using var session = GradientSessions.Create(probed, new GradientRequest(new SoftmaxCrossEntropyLoss(), [.. parameters, .. probes]), options.Runtime);
            var rec = new RConvReconstructor(net, options);
            using var stage = progress.Start("R-CONV: gradients and reconstruction", count);
            var size = data.ImageSize;
            foreach (var idx in picked)
            {
                var sw = Stopwatch.StartNew();
                var img = data.GetImage(idx).ToArray();
                var label = data.GetLabel(idx);
                var run = session.Run(img, [1, data.C, data.H, data.W], [label]);
                var grads = parameters.ToDictionary(n => n, n => run.Gradient(n).ToArray(), StringComparer.Ordinal);
                foreach (var c in net.Convs)
                {
                    var dO = run.Gradient(ProbePrefix + c.NodeName).ToArray().Select(v => (double)v).ToArray();
                    var checks = RConvReconstructor.RankCheck(c.Geometry, dO, options.RankTolerance, "true");
                    ranks.Add(new RConvRankCheckRow(c.NodeName, idx, checks[0].Rows, checks[0].Unknowns, checks.Max(r => r.ZeroRows), checks.Min(r => r.Rank)));
                }
                gradSeconds += sw.Elapsed.TotalSeconds;
                var r = rec.Reconstruct(grads);
                var original = new float[size];
                data.ToUnitRange(img, original);
                float[]? recon = null;
                double? psnr = null, ssim = null;
                if (r.Succeeded && r.Image is { } ri)
                {
                    recon = new float[size];
                    data.ToUnitRange(ri, recon);
                    psnr = ImageMetrics.Psnr(original, recon);
                    ssim = ImageMetrics.Ssim(original, recon, data.C, data.H, data.W);
                }
                images.Add(new RConvImageResult(idx, label, original, recon, psnr, ssim, r));
                stage.Advance();
                if (psnr is { } p) stage.Describe(string.Create(CultureInfo.InvariantCulture, $"R-CONV: image {idx} PSNR {p:F1} dB"));
            }
        }
        return new RConvAuditResult(model.Origin, model.Sha256, null, net.InputShape, conditions, ranks, images, breakLayer, breakReason, options.Seed, gradSeconds);
    }

    /// <summary>The conv geometry of the chain walk must agree with the graph analyzer's (same ONNX attributes, two readers).</summary>
    private static void CheckAgainstAnalysis(IReadOnlyList<RConvLayerCondition> conditions, GraphAnalysis analysis)
    {
        foreach (var c in conditions)
        {
            var layer = analysis.Layers.FirstOrDefault(l => l.Conv is not null && (l.Name == c.Geometry.Name || l.NodeNames.Contains(c.Geometry.Name)));
            if (layer is null) continue;
            var fromAnalysis = ConvGeometry.FromConvInfo(c.Geometry.Name, layer.Conv!);
            if (fromAnalysis != c.Geometry)
                throw new InvalidOperationException($"conv '{c.Geometry.Name}': R-CONV chain geometry {c.Geometry} differs from the graph analysis {fromAnalysis}");
        }
    }

    /// <summary>Walking down from the FC layer: the first node where the attack must stop whatever the gradient values.</summary>
    internal static (string? Layer, string? Reason) ChainBreak(RConvNetwork net, IReadOnlyList<RConvLayerCondition> conditions)
    {
        var gemm = net.Head!;
        if (gemm.BiasName is null) return (gemm.NodeName, "the first fully-connected layer has no bias, so its input cannot be obtained by division");
        var byName = conditions.ToDictionary(c => c.Geometry.Name);
        var outputKnown = true; // the value above the current stage is reconstructed and (so far) invertible
        for (var i = net.Stages.Count - 2; i >= 0; i--)
        {
            switch (net.Stages[i])
            {
                case BlockingStage b:
                    return (b.NodeName, $"{b.OpType} '{b.NodeName}' lies between the fully-connected layer and the conv layers below it: {b.Reason}");
                case ActivationStage a:
                    outputKnown = a.Activation.IsInvertible;
                    break;
                case ConvStage c:
                    var cond = byName[c.NodeName];
                    var joint = outputKnown && cond.ForwardConstraintsA + (cond.Geometry.InChannels * cond.RowsPerChannel) >= cond.UnknownsX;
                    if (!cond.GradientConditionHolds && !joint && !(outputKnown && cond.Verdict == RConvVerdict.LeaksThroughCombinedConstraints))
                        return (c.NodeName, $"conv '{c.NodeName}' is not solvable: {cond.Explanation}");
                    outputKnown = true;
                    break;
            }
        }
        return (null, null);
    }

    /// <summary>A copy of the model with O + 0 after every chain conv, the zero being an initializer whose gradient is ∂ℓ/∂O.</summary>
    private static OnnxModel WithProbes(OnnxModel model, RConvNetwork net)
    {
        var probes = new List<TensorProbe>();
        foreach (var c in net.Convs)
        {
            var node = model.Graph.Node.FirstOrDefault(n => n.OpType == "Conv" && (n.Name == c.NodeName || n.Output[0] == c.NodeName))
                ?? throw new InvalidOperationException($"conv '{c.NodeName}' not found");
            var geo = c.Geometry;
            probes.Add(new TensorProbe(node.Output[0], ProbePrefix + c.NodeName, [1, geo.OutChannels, geo.OutH, geo.OutW]));
        }
        return ModelEditor.InsertProbes(model, probes);
    }
}
