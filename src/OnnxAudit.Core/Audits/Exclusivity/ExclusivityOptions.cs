using OnnxAudit.Runtime;

namespace OnnxAudit.Audits.Exclusivity;

/// <summary>Options of the exclusivity statistics (Pan et al. §4, §7.4).</summary>
/// <param name="BatchSize">M, the deployment batch size of the main statistic (default 8).</param>
/// <param name="Batches">Number of sampled batches per statistic (default 1000, as in the paper's Fig. 10).</param>
/// <param name="Seed">Seed of the batch sampler; results are deterministic for a seed.</param>
/// <param name="SweepSizes">Batch sizes of the sweep (default 1, 2, 4, …, 128). Sizes above the dataset size are skipped.</param>
/// <param name="SameClassBatches">Also sample batches whose samples all share one label (Fig. 10(d)); needs labels.</param>
/// <param name="ForwardBatch">Samples per ONNX Runtime call in the forward pass.</param>
/// <param name="InsecureThreshold">Sweep: the largest M whose insecure proportion is at least this value is reported.</param>
/// <param name="Runtime">ONNX Runtime options of the forward pass.</param>
public sealed record ExclusivityOptions(
    int BatchSize = 8,
    int Batches = 1000,
    int Seed = 0,
    IReadOnlyList<int>? SweepSizes = null,
    bool SameClassBatches = true,
    int ForwardBatch = 256,
    double InsecureThreshold = 0.05,
    RuntimeOptions? Runtime = null)
{
    /// <summary>M = 8, 1000 batches, seed 0, sweep 1…128, same-class batches on.</summary>
    public static ExclusivityOptions Default { get; } = new();

    /// <summary>The sweep sizes actually used (the default list when none is given).</summary>
    public IReadOnlyList<int> EffectiveSweepSizes => SweepSizes ?? [1, 2, 4, 8, 16, 32, 64, 128];
}
