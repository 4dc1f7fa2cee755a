namespace OnnxAudit.Reporting.Model;

/// <summary>A PNG image.</summary>
/// <param name="Png">PNG file bytes (8-bit grey or RGB recommended).</param>
/// <param name="Caption">Optional text under the image (e.g. "PSNR 31.2 dB").</param>
public sealed record ReportImage(byte[] Png, string? Caption = null);
