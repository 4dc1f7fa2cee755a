namespace OnnxAudit.Graph;

/// <summary>Attributes of a fully-connected layer, y = alpha·op(A)·op(B) + beta·C.</summary>
/// <param name="InFeatures">Input width (per sample).</param>
/// <param name="OutFeatures">Output width (per sample).</param>
/// <param name="TransA">Gemm transA (false for MatMul).</param>
/// <param name="TransB">Gemm transB (false for MatMul: the weight is stored [in, out]).</param>
/// <param name="Alpha">Gemm alpha (1 for MatMul).</param>
/// <param name="Beta">Gemm beta (1 for MatMul + Add).</param>
/// <param name="WeightName">Initializer holding the weight; "" when the weight is computed at run time.</param>
/// <param name="BiasName">Initializer holding the bias, or null when the layer has none.</param>
/// <param name="FromMatMul">True when the layer is a MatMul (optionally followed by an Add of the bias), false for Gemm.</param>
public sealed record LinearInfo(long InFeatures, long OutFeatures, bool TransA, bool TransB, double Alpha, double Beta, string WeightName, string? BiasName, bool FromMatMul);
