namespace OnnxAudit.Audits;

/// <summary>Thresholds shared by the verdict rules of several auditors.</summary>
public static class LeakageThresholds
{
    /// <summary>A reconstructed image at or above this PSNR (dB, peak 1) counts as recovered.</summary>
    public const double RecoveredPsnr = 30;
}
