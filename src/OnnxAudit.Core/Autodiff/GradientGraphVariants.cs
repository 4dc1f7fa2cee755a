namespace OnnxAudit.Autodiff;

/// <summary>
/// Switch between the measured-faster backward graphs of issue 16 (default) and the earlier ones, for A/B benchmarks
/// (bench/OnnxAudit.TorchBench) and equivalence tests. Read while a gradient graph is built; set it before building,
/// never while another thread builds a graph.
/// </summary>
internal static class GradientGraphVariants
{
    /// <summary>
    /// When true the rules emit the earlier graphs: Conv input gradient always as ConvTranspose, weight gradients always
    /// as one Conv with the input as its batch plus a Transpose (no im2col Gemm, no swapped form), MaxPool backward through Indices, ReLU backward through Where.
    /// </summary>
    public static bool Legacy { get; set; }
}
