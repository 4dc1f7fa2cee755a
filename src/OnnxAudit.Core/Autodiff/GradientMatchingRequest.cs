namespace OnnxAudit.Autodiff;

/// <summary>How the dummy gradient is compared with the observed one in a gradient-matching attack.</summary>
public enum GradientDistance
{
    /// <summary>1 − ⟨g, t⟩ / (‖g‖·‖t‖) over all listed parameter gradients concatenated (Geiping et al. 2020, Inverting Gradients).</summary>
    Cosine,

    /// <summary>Σ ‖g − t‖² over all listed parameter gradients (Zhu et al. 2019, DLG).</summary>
    SquaredL2,
}

/// <summary>
/// A second-order gradient graph: the loss is <c>D(∇θ CE(f(x), y), t) + TotalVariationWeight·TV(x)</c> with D a
/// <see cref="GradientDistance"/>, t the observed parameter gradients (fed as inputs <c>target:&lt;name&gt;</c>) and
/// TV(x) = mean|x[h+1,w] − x[h,w]| + mean|x[h,w+1] − x[h,w]| (anisotropic, β = 1, as in the Inverting Gradients code);
/// the graph returns the loss and its exact gradient w.r.t. the input x.
/// </summary>
/// <param name="Distance">Cosine (Inverting Gradients) or squared L2 (DLG).</param>
/// <param name="Parameters">Float initializers whose gradients are matched; null = all of them.</param>
/// <param name="TotalVariationWeight">α ≥ 0 of the TV prior (0 = off).</param>
public sealed record GradientMatchingRequest(GradientDistance Distance, IReadOnlyList<string>? Parameters = null, double TotalVariationWeight = 0);
