namespace OnnxAudit.Autodiff;

/// <summary>A loss that is already a float scalar tensor of the graph (for example a gradient-matching distance built on
/// top of a gradient graph): the builder differentiates it as is (d loss / d tensor = 1).</summary>
/// <param name="Tensor">Name of the scalar tensor (rank 0 or a single element).</param>
public sealed record ScalarLoss(string Tensor) : GradientLoss;
