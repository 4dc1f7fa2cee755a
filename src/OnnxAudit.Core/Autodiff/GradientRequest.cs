namespace OnnxAudit.Autodiff;

/// <summary>The scalar loss a gradient graph differentiates.</summary>
public abstract record GradientLoss;

/// <summary>Softmax cross-entropy on rank-2 logits [N, K] with int64 class labels [N], averaged over the batch
/// (exactly PyTorch's <c>CrossEntropyLoss()</c> with default arguments).</summary>
/// <param name="LabelsInput">Name of the new int64 [N] graph input holding the labels.</param>
/// <param name="Logits">The logits tensor; null = the model's first output.</param>
public sealed record SoftmaxCrossEntropyLoss(string LabelsInput = GradientNames.Labels, string? Logits = null) : GradientLoss;

/// <summary>Mean squared error between a named tensor of the model and a target fed at run time:
/// mean over all elements of (t − target)² (PyTorch's <c>MSELoss()</c>).</summary>
/// <param name="Tensor">The intermediate (or output) tensor to match.</param>
/// <param name="TargetInput">Name of the new float graph input (same shape as <paramref name="Tensor"/>) holding the target.</param>
public sealed record SquaredErrorLoss(string Tensor, string TargetInput = GradientNames.Target) : GradientLoss;

/// <summary>
/// What gradient graph to build. The total loss is <c>Loss + TotalVariationWeight·TV(x) + L2Weight·Σx²</c> where x is
/// the graph input and TV(x) = Σ(x[h+1,w] − x[h,w])² + Σ(x[h,w+1] − x[h,w])² over NCHW (squared differences, β = 2).
/// </summary>
/// <param name="Loss">The data term.</param>
/// <param name="WithRespectTo">Float initializer names and/or the graph input name; each gets output <c>grad:&lt;name&gt;</c>.</param>
/// <param name="TotalVariationWeight">λ_TV ≥ 0 (0 = off).</param>
/// <param name="L2Weight">Weight of Σx² on the input (0 = off).</param>
/// <param name="ParametersAsInputs">Turn the float initializers in <paramref name="WithRespectTo"/> into graph inputs
/// (same names and shapes) so that a training loop can feed updated values without rebuilding the session.</param>
/// <param name="ExtraOutputs">Intermediate tensors to expose as additional outputs under their own names.</param>
/// <param name="TotalVariationAsInput">Feed λ_TV at run time through the scalar float input
/// <see cref="GradientNames.TotalVariationWeight"/> (initial value <paramref name="TotalVariationWeight"/>, which may be
/// 0), so that one session serves several λ_TV; the TV terms are built whatever the weight.</param>
public sealed record GradientRequest(
    GradientLoss Loss,
    IReadOnlyList<string> WithRespectTo,
    double TotalVariationWeight = 0,
    double L2Weight = 0,
    bool ParametersAsInputs = false,
    IReadOnlyList<string>? ExtraOutputs = null,
    bool TotalVariationAsInput = false);
