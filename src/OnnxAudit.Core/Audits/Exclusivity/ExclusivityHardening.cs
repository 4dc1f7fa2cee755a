using OnnxAudit.Audits.GradientAttack;
using OnnxAudit.Data;
using OnnxAudit.Errors;
using OnnxAudit.Onnx;
using OnnxAudit.Progress;
using OnnxAudit.Runtime;

namespace OnnxAudit.Audits.Exclusivity;

/// <summary>Exclusivity reduction (Pan et al. §6, Corollary 1).</summary>
public static class ExclusivityHardening
{
    /// <summary>
    /// Returns a new model without the first ReLU of the classifier head: every consumer of that ReLU's output reads
    /// its input instead. The input model is not changed.
    /// </summary>
    /// <param name="model">The classifier.</param>
    /// <param name="firstReluOutput">Output tensor of the head's first ReLU (i = 1, from the graph analysis); null
    /// finds it from the head's affine chain.</param>
    /// <exception cref="UnsupportedOperatorException">No such ReLU, or its output is a graph output.</exception>
    public static OnnxModel RemoveFirstHeadRelu(OnnxModel model, string? firstReluOutput = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        firstReluOutput ??= GradientAttack.FcnHead.Extract(model).Layers[0].ReluOutput
            ?? throw new UnsupportedOperatorException($"{model.Origin}: the classifier head has no ReLU after its first affine layer; nothing to remove.");
        var g = model.Graph;
        if (!g.Node.Any(n => n.OpType == "Relu" && n.Output.Count == 1 && n.Output[0] == firstReluOutput))
            throw new UnsupportedOperatorException($"{model.Origin}: no Relu node produces '{firstReluOutput}'; pass the first head ReLU output reported by `onnx-audit inspect`.");
        if (g.Output.Any(o => o.Name == firstReluOutput))
            throw new UnsupportedOperatorException($"{model.Origin}: '{firstReluOutput}' is a graph output, so the ReLU cannot be removed without changing the model's interface.");
        // why: Corollary 1 — W_1·σ̂(W_0X + b_0): the next layer consumes the pre-activation directly.
        return ModelEditor.BypassNode(model, firstReluOutput, model.Origin + " (exclusivity reduction)");
    }

    /// <summary>
    /// The layer list to audit a hardened model with: layer 1 becomes the (linear) pre-activation tensor of the removed
    /// ReLU, counted as always active; the other layers are unchanged.
    /// </summary>
    public static IReadOnlyList<HeadReluLayer> HardenedLayers(OnnxModel original, IReadOnlyList<HeadReluLayer> layers)
    {
        ArgumentNullException.ThrowIfNull(original);
        var relu = original.Graph.Node.First(n => n.OpType == "Relu" && n.Output[0] == layers[0].OutputName);
        return [layers[0] with { OutputName = relu.Input[0], IsLinear = true }, .. layers.Skip(1)];
    }

    /// <summary>
    /// Hardens the context's model and checks it on the context's data: exclusivity states of batches of size
    /// d_1 + 1 (all secure by Corollary 1), the attack on random batches of size <paramref name="batchSize"/>, and the
    /// accuracy before and after (when the data has labels). <paramref name="featureMatching"/> sets stage 2 of the attack for
    /// CNNs (null = <see cref="FeatureMatchingOptions.Default"/>).
    /// </summary>
    public static HardeningResult Verify(AuditContext context, IReadOnlyList<HeadReluLayer> layers, int batchSize, int batches,
        int attackBatches, int seed, IAuditProgress progress, FeatureMatchingOptions? featureMatching = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(layers);
        var model = context.Model;
        var data = context.Data;
        var runtime = context.Runtime;
        var hardened = RemoveFirstHeadRelu(model, layers[0].OutputName);
        var hl = HardenedLayers(model, layers);
        var labels = context.Labels;
        var d1 = layers[0].Width;
        var m = Math.Min(d1 + 1, data.N);
        var stats = ExclusivityAuditor.Run(context, hardened, hl,
            ExclusivityOptions.Default with { BatchSize = m, Batches = batches, Seed = seed, SweepSizes = [], SameClassBatches = false, Runtime = runtime }, progress);
        AttackSimulationResult? attack = null;
        double? before = null, after = null;
        if (labels is not null)
        {
            if (attackBatches > 0)
                attack = GradientAttackSimulation.Run(context, hardened, hl, AttackSimulationOptions.Default with
                {
                    BatchSize = batchSize, InsecureBatches = 0, RandomBatches = attackBatches, Seed = seed, Runtime = runtime,
                    FeatureMatching = featureMatching,
                }, progress);
            before = context.Accuracy(model, progress).Accuracy;
            after = context.Accuracy(hardened, progress).Accuracy;
        }
        return new HardeningResult(d1, stats.Main, attack, before, after);
    }
}
