namespace OnnxAudit.Reporting.Model;

/// <summary>A horizontal reference line (e.g. "PSNR 20 dB: recognisable").</summary>
/// <param name="Y">Y value.</param>
/// <param name="Label">Label drawn beside the line.</param>
/// <param name="Severity">Optional colour; grey when null.</param>
public sealed record ThresholdLine(double Y, string Label, Severity? Severity = null);
