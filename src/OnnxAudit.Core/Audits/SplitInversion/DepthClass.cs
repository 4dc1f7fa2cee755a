using OnnxAudit.Graph;

namespace OnnxAudit.Audits.SplitInversion;

/// <summary>The depth classes of He et al.'s white-box hyperparameters.</summary>
public enum DepthClass
{
    /// <summary>Right after the first convolution, no activation yet (published: conv1 / conv11).</summary>
    Conv1,
    /// <summary>After one or two activations, convolutions only (published: ReLU2 / ReLU22).</summary>
    Relu2,
    /// <summary>After three or more activations, convolutions only (published: ReLU32).</summary>
    Relu3,
    /// <summary>A fully-connected layer is in the prefix (published: fc1).</summary>
    Fc1,
}

/// <summary>White-box rMLE hyperparameters.</summary>
/// <param name="Class">The depth class they came from.</param>
/// <param name="Iterations">Adam steps.</param>
/// <param name="LearningRate">Adam step size.</param>
/// <param name="TvWeight">λ_TV on the per-image, per-element-mean total variation (see <see cref="WhiteBoxAttack"/>).</param>
public sealed record WhiteBoxHyperparameters(DepthClass Class, int Iterations, double LearningRate, double TvWeight)
{
    /// <summary>The rule that maps a split point to a depth class, for reports.</summary>
    public const string Rule =
        "a fully-connected layer before the split → fc1; otherwise by the number a of activation layers before it: a = 0 → conv1, a ≤ 2 → ReLU2, a ≥ 3 → ReLU3";

    /// <summary>Classifies a split point by the layers of its prefix (see <see cref="Rule"/>).</summary>
    public static DepthClass Classify(GraphAnalysis analysis, SplitPoint point)
    {
        ArgumentNullException.ThrowIfNull(analysis);
        ArgumentNullException.ThrowIfNull(point);
        var layers = point.PrefixLayerIndices.Select(i => analysis.Layers[i]).ToList();
        if (layers.Any(l => l.Kind == LayerKind.Linear)) return DepthClass.Fc1;
        var activations = layers.Count(l => l.Kind == LayerKind.Activation);
        return activations switch { 0 => DepthClass.Conv1, <= 2 => DepthClass.Relu2, _ => DepthClass.Relu3 };
    }

    // why: He et al. (ACSAC 2019) and their published command lines (DESIGN.md, split-point inversion): conv1 5000 it,
    // lr 1e-2, λ 0; ReLU2(2) 5000, 1e-2, 10; ReLU3(2) 5000, 1e-2, 1e3; fc1 5000, 1e-3, 1e4.
    /// <summary>The authors' defaults for a depth class.</summary>
    public static WhiteBoxHyperparameters Defaults(DepthClass c) => c switch
    {
        DepthClass.Conv1 => new(c, 5000, 1e-2, 0),
        DepthClass.Relu2 => new(c, 5000, 1e-2, 10),
        DepthClass.Relu3 => new(c, 5000, 1e-2, 1e3),
        _ => new(c, 5000, 1e-3, 1e4),
    };

    /// <summary>Display name of a depth class as in the paper.</summary>
    public static string Label(DepthClass c) => c switch
    {
        DepthClass.Conv1 => "conv1",
        DepthClass.Relu2 => "ReLU2",
        DepthClass.Relu3 => "ReLU3",
        _ => "fc1",
    };
}
