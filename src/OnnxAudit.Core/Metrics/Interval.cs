namespace OnnxAudit.Metrics;

/// <summary>An estimate with a two-sided confidence interval.</summary>
/// <param name="Estimate">The point estimate (mean or proportion).</param>
/// <param name="Lower">Lower bound (NaN when undefined, e.g. a t interval from one value).</param>
/// <param name="Upper">Upper bound (NaN when undefined).</param>
/// <param name="Level">Confidence level, e.g. 0.95.</param>
public sealed record Interval(double Estimate, double Lower, double Upper, double Level);

/// <summary>Five-number summary; quantiles by linear interpolation between order statistics (numpy's default).</summary>
/// <param name="Min">Smallest value.</param>
/// <param name="Q1">25th percentile.</param>
/// <param name="Median">50th percentile.</param>
/// <param name="Q3">75th percentile.</param>
/// <param name="Max">Largest value.</param>
public sealed record Quartiles(double Min, double Q1, double Median, double Q3, double Max);
