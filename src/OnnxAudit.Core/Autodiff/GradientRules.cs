using OnnxAudit.Autodiff.Rules;

namespace OnnxAudit.Autodiff;

/// <summary>The registry of backward rules, one per supported ONNX op type (default domain).</summary>
internal static class GradientRules
{
    private static readonly Dictionary<string, IGradientRule> Rules = new IGradientRule[]
    {
        new GemmRule(), new MatMulRule(), new AddRule(), new SubRule(), new MulRule(), new DivRule(),
        new ReluRule(), new LeakyReluRule(), new PReluRule(), new SigmoidRule(), new TanhRule(), new EluRule(), new SoftplusRule(), new ClipRule(),
        new ConvRule(), new ConvTransposeRule(), new MaxPoolRule(), new AveragePoolRule(), new GlobalAveragePoolRule(),
        new FlattenRule(), new ReshapeRule(), new TransposeRule(), new SqueezeRule(), new UnsqueezeRule(), new ConcatRule(),
        new BatchNormalizationRule(), new DropoutRule(), new IdentityRule(), new SoftmaxRule(), new LogSoftmaxRule(), new PadRule(),
        // torchvision classifiers (issue 17)
        new SliceRule(), new GatherRule(), new SplitRule(), new ExpandRule(), new TileRule(), new ReduceSumRule(), new ReduceMeanRule(),
        new ReduceMaxRule(), new ReduceMinRule(), new PowRule(), new SqrtRule(), new ExpRule(), new LogRule(), new NegRule(), new AbsRule(),
        new ErfRule(), new GeluRule(), new HardSwishRule(), new HardSigmoidRule(), new LayerNormalizationRule(), new CastRule(), new WhereRule(),
        new MaxRule(), new MinRule(), new SumRule(), new MeanRule(), new GlobalMaxPoolRule(), new ResizeRule(), new EinsumRule(),
    }.ToDictionary(r => r.OpType, StringComparer.Ordinal);

    /// <summary>Supported op types, sorted.</summary>
    public static IReadOnlyList<string> Supported { get; } = Rules.Keys.Order(StringComparer.Ordinal).ToArray();

    public static IGradientRule? Find(string domain, string opType) =>
        domain is "" or "ai.onnx" ? Rules.GetValueOrDefault(opType) : null;
}
