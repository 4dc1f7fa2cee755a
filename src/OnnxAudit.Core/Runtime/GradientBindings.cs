namespace OnnxAudit.Runtime;

/// <summary>The names a <see cref="GradientSession"/> binds in a gradient model, and the parameters fed as inputs.</summary>
/// <param name="DataInput">The float data input (NCHW or the model's input layout).</param>
/// <param name="LabelsInput">The int64 [N] labels input of a cross-entropy loss, or null.</param>
/// <param name="TargetInput">The float target input of a squared-error loss, or null.</param>
/// <param name="LossOutput">The scalar loss output.</param>
/// <param name="GradientOutputs">Tensor (parameter or input) name → the output holding its gradient.</param>
/// <param name="ParameterInputs">Parameters turned into graph inputs, with their initial values (copied) and dims.</param>
public sealed record GradientBindings(
    string DataInput,
    string? LabelsInput,
    string? TargetInput,
    string LossOutput,
    IReadOnlyDictionary<string, string> GradientOutputs,
    IReadOnlyList<(string Name, float[] Values, long[] Dims)> ParameterInputs);
