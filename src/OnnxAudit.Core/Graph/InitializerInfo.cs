namespace OnnxAudit.Graph;

/// <summary>One initializer of the graph.</summary>
/// <param name="Name">Initializer name.</param>
/// <param name="ElementType">Element type name ("float", "int64", …).</param>
/// <param name="Shape">Dimensions.</param>
/// <param name="Elements">Number of elements.</param>
/// <param name="IsParameter">True for floating-point initializers (weights, biases, norm statistics); false for integer
/// or bool ones (shape constants, indices).</param>
public sealed record InitializerInfo(string Name, string ElementType, IReadOnlyList<long> Shape, long Elements, bool IsParameter);
