using System.Globalization;

namespace OnnxAudit.Common;

/// <summary>Culture-invariant number formats shared by verdict sentences and report sections (reports must not depend
/// on the culture). Stateless.</summary>
public static class Invariant
{
    /// <summary>Thousands-separated integer.</summary>
    public static string N(long v) => v.ToString("N0", CultureInfo.InvariantCulture);

    /// <summary>Fixed decimals; ∞, −∞ and n/a for non-finite values.</summary>
    public static string F(double v, int decimals = 2) =>
        double.IsFinite(v) ? v.ToString("F" + decimals.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture) : v > 0 ? "∞" : v < 0 ? "−∞" : "n/a";

    /// <summary>Dims joined by ×.</summary>
    public static string Shape(IEnumerable<long> dims) => string.Join("×", dims.Select(d => d.ToString(CultureInfo.InvariantCulture)));

    /// <summary>A proportion as a percentage.</summary>
    public static string Pct(double p, int decimals = 1) => F(100 * p, decimals) + "%";

    /// <summary>A PSNR in dB (one decimal; ∞ for an exact reconstruction).</summary>
    public static string Db(double psnr) => double.IsPositiveInfinity(psnr) ? "∞ dB (exact)" : F(psnr, 1) + " dB";
}
