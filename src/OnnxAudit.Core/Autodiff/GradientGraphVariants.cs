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
    public static bool Legacy { get => _legacy || _forcedOnThisThread > 0; set => _legacy = value; }

    private static bool _legacy;

    [ThreadStatic] private static int _forcedOnThisThread;

    /// <summary>Builds the earlier graphs on this thread until the returned scope is disposed: the gradient-matching
    /// builder differentiates its first-order graph again, and the earlier graphs use only ops that have gradient rules
    /// (the faster MaxPool backward's SpaceToDepth/CumSum/DepthToSpace have none).</summary>
    public static LegacyScope ForceLegacy()
    {
        _forcedOnThisThread++;
        return default;
    }

    /// <summary>Ends a <see cref="ForceLegacy"/> scope.</summary>
    internal readonly struct LegacyScope : IDisposable
    {
        /// <inheritdoc/>
        public void Dispose() => _forcedOnThisThread--;
    }
}
