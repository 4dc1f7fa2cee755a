namespace OnnxAudit.Audits.Exclusivity;

/// <summary>A proportion with its 95% Wilson score interval.</summary>
/// <param name="Count">Batches with the property.</param>
/// <param name="Total">Batches sampled.</param>
/// <param name="Proportion">Count / Total.</param>
/// <param name="Low">Lower end of the 95% Wilson interval.</param>
/// <param name="High">Upper end of the 95% Wilson interval.</param>
public sealed record ProportionEstimate(int Count, int Total, double Proportion, double Low, double High);

/// <summary>Distribution of N_i^m (ExANs of one sample at one layer) over all samples of all sampled batches.</summary>
/// <param name="Layer">i (1-based).</param>
/// <param name="Width">d_i.</param>
/// <param name="Observations">Number of (batch, sample) pairs.</param>
/// <param name="Mean">Mean N_i^m.</param>
/// <param name="Q1">First quartile (lower value convention: the smallest v with F(v) ≥ 0.25).</param>
/// <param name="Median">Median (same convention).</param>
/// <param name="Q3">Third quartile (same convention).</param>
/// <param name="ShareZero">Share of samples with N_i^m = 0.</param>
/// <param name="ShareOne">Share with N_i^m = 1.</param>
/// <param name="ShareTwoOrMore">Share with N_i^m ≥ 2.</param>
/// <param name="MeanActiveFraction">Mean fraction of the layer's neurons a sample activates.</param>
public sealed record LayerExanDistribution(int Layer, int Width, long Observations, double Mean, int Q1, int Median, int Q3,
    double ShareZero, double ShareOne, double ShareTwoOrMore, double MeanActiveFraction);

/// <summary>The exclusivity states of the sampled batches of one size.</summary>
/// <param name="BatchSize">M.</param>
/// <param name="Insecure">Proportion of batches with sufficient exclusivity.</param>
/// <param name="Secure">Proportion with lack of exclusivity (always 0 when M ≤ d_1).</param>
/// <param name="Undetermined">The rest.</param>
/// <param name="Layers">Per-layer ExAN distribution (empty for sweep points).</param>
public sealed record BatchStatistics(int BatchSize, ProportionEstimate Insecure, ProportionEstimate Secure,
    ProportionEstimate Undetermined, IReadOnlyList<LayerExanDistribution> Layers);

/// <summary>The result of <see cref="ExclusivityAuditor"/>.Run.</summary>
/// <param name="ModelOrigin">Model file (or in-memory name).</param>
/// <param name="ModelSha256">Model hash.</param>
/// <param name="Samples">Dataset size the batches were drawn from.</param>
/// <param name="Layers">The head ReLU layers counted (i = 1…H).</param>
/// <param name="Seed">Sampler seed.</param>
/// <param name="Main">Random batches of the deployment size M (with per-layer ExAN distribution).</param>
/// <param name="Sweep">Batch-size sweep (M = 1, 2, 4, …); batches are nested prefixes of one sampled batch, so each
/// batch's insecure indicator is non-increasing in M and so is the insecure proportion.</param>
/// <param name="LargestInsecureBatchSize">Largest sweep M whose insecure proportion ≥ the threshold, or null.</param>
/// <param name="InsecureThreshold">That threshold (default 5%).</param>
/// <param name="SameClass">Batches of size M whose samples all share one label (Fig. 10(d)); null without labels.</param>
public sealed record ExclusivityResult(string ModelOrigin, string ModelSha256, int Samples, IReadOnlyList<HeadReluLayer> Layers,
    int Seed, BatchStatistics Main, IReadOnlyList<BatchStatistics> Sweep, int? LargestInsecureBatchSize, double InsecureThreshold,
    BatchStatistics? SameClass);
