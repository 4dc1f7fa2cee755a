namespace OnnxAudit.Reporting.Model;

/// <summary>A graph input or output: name, element type and shape.</summary>
/// <param name="Name">Tensor name.</param>
/// <param name="ElementType">Element type, e.g. "float32".</param>
/// <param name="Shape">Dimensions as text: numbers, or symbolic names such as "N".</param>
public sealed record TensorSignature(string Name, string ElementType, IReadOnlyList<string> Shape)
{
    /// <summary>"input: float32 [N, 1, 28, 28]" style text.</summary>
    public override string ToString() => $"{Name}: {ElementType} [{string.Join(", ", Shape)}]";
}
