namespace OnnxAudit.Graph;

/// <summary>A graph input or output as declared in the model.</summary>
/// <param name="Name">Tensor name.</param>
/// <param name="ElementType">ONNX element type in lower case ("float", "int64", …); "" when undeclared.</param>
/// <param name="Shape">Declared dimensions: a number, a symbolic name (e.g. "batch"), or "?" when unknown.
/// Empty for a scalar or an undeclared shape.</param>
public sealed record TensorSignature(string Name, string ElementType, IReadOnlyList<string> Shape);
