namespace OnnxAudit.Audits.RConv;

/// <summary>One attacked image.</summary>
/// <param name="DataIndex">Index in the data set.</param>
/// <param name="Label">The true label used for the client's cross-entropy gradient.</param>
/// <param name="Original">The image, CHW float32 in [0,1] units.</param>
/// <param name="Reconstruction">The reconstruction in the same units (null when the walk failed).</param>
/// <param name="Psnr">PSNR with peak 1 (dB), null when not reconstructed.</param>
/// <param name="Ssim">SSIM (Wang et al. 2004, per channel, averaged), null when not reconstructed.</param>
/// <param name="Detail">Per-layer steps, residuals, timings, failure.</param>
public sealed record RConvImageResult(int DataIndex, long Label, float[] Original, float[]? Reconstruction, double? Psnr, double? Ssim,
    RConvReconstruction Detail);

/// <summary>The R-CONV audit of one model. Immutable.</summary>
/// <param name="ModelOrigin">The model file.</param>
/// <param name="ModelSha256">The model hash.</param>
/// <param name="NotAssessedReason">Why the audit does not apply (no conv layer, no Gemm, unsupported operator on the chain); null when it applies.</param>
/// <param name="ImageShape">[C, H, W].</param>
/// <param name="Conditions">The counting conditions, one row per conv layer on the chain (input to the first Gemm).</param>
/// <param name="RankChecks">Numerical rank of each conv layer's gradient system on each attacked image's true ∂ℓ/∂O.</param>
/// <param name="Images">The attacked images (empty without data).</param>
/// <param name="ChainBreakLayer">The first node (walking down from the FC layer) that stops the reconstruction by construction, or null.</param>
/// <param name="ChainBreakReason">Why, in one sentence.</param>
/// <param name="Seed">The seed that chose the images.</param>
/// <param name="GradientSeconds">Total time spent computing the clients' gradients (ONNX Runtime).</param>
public sealed record RConvAuditResult(string ModelOrigin, string ModelSha256, string? NotAssessedReason, int[] ImageShape,
    IReadOnlyList<RConvLayerCondition> Conditions, IReadOnlyList<RConvRankCheckRow> RankChecks, IReadOnlyList<RConvImageResult> Images,
    string? ChainBreakLayer, string? ChainBreakReason, int Seed, double GradientSeconds)
{
    /// <summary>True when R-CONV does not apply to the model (it has no convolution layer): not assessed is then an answer.</summary>
    public bool NotApplicable { get; init; }

    /// <summary>Why the reconstruction chain was not assessed (an operator the R-CONV walk does not support lies on it),
    /// or null. Such a chain is not "not applicable": the gate treats it as a gap (issue 13).</summary>
    public string? UnassessedChain { get; init; }

    /// <summary>The verdict (<see cref="ConvolutionalVerdict"/>), read by the summary, the finding, the JSON and the exit code.</summary>
    public Verdict Verdict => ConvolutionalVerdict.Of(this);

    /// <summary>Images whose walk reached the input.</summary>
    public int Reconstructed => Images.Count(i => i.Reconstruction is not null);

    /// <summary>Mean PSNR over reconstructed images (null when none).</summary>
    public double? MeanPsnr => Reconstructed == 0 ? null : Images.Where(i => i.Psnr is not null).Average(i => i.Psnr!.Value);

    /// <summary>Mean SSIM over reconstructed images (null when none).</summary>
    public double? MeanSsim => Reconstructed == 0 ? null : Images.Where(i => i.Ssim is not null).Average(i => i.Ssim!.Value);

    /// <summary>Mean reconstruction time per attacked image (seconds; gradients excluded).</summary>
    public double? MeanSecondsPerImage => Images.Count == 0 ? null : Images.Average(i => i.Detail.Seconds);
}

/// <summary>Rank check of one conv layer on one image (groups aggregated: the smallest group rank).</summary>
/// <param name="Layer">Conv node.</param>
/// <param name="DataIndex">Image.</param>
/// <param name="Rows">(F/G)·Kh·Kw rows per channel system.</param>
/// <param name="Unknowns">H·W.</param>
/// <param name="ZeroRows">All-zero rows (largest over groups).</param>
/// <param name="Rank">Smallest numerical rank over groups.</param>
public sealed record RConvRankCheckRow(string Layer, int DataIndex, int Rows, int Unknowns, int ZeroRows, int Rank)
{
    /// <summary>Rank = H·W: the gradient equations alone determine every pixel of each channel.</summary>
    public bool FullRank => Rank >= Unknowns;
}
