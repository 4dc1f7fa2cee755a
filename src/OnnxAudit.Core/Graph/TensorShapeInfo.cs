namespace OnnxAudit.Graph;

/// <summary>The measured shape of one tensor at the analysis batch size.</summary>
/// <param name="Name">Tensor name.</param>
/// <param name="ElementType">ONNX element type in lower case ("float", "int64", …).</param>
/// <param name="Shape">Dimensions as produced by ONNX Runtime for the dummy batch (NCHW for images).</param>
/// <param name="ElementsPerSample">Elements of one sample: the element count divided by the batch size when the
/// first dimension equals the batch size, else the whole element count (shape tensors, constants).</param>
/// <param name="IsBatched">True when the first dimension is the batch dimension (see <paramref name="ElementsPerSample"/>).</param>
public sealed record TensorShapeInfo(string Name, string ElementType, IReadOnlyList<long> Shape, long ElementsPerSample, bool IsBatched)
{
    /// <summary>Total number of elements (product of <see cref="Shape"/>; 1 for a scalar).</summary>
    public long ElementCount => Shape.Aggregate(1L, (a, b) => a * b);
}
