using System.Globalization;

namespace OnnxAudit.Reporting.Sections;

/// <summary>Invariant number formatting shared by section builders (reports must not depend on the culture).</summary>
internal static class Fmt
{
    public static string N(long v) => v.ToString("N0", CultureInfo.InvariantCulture);
    public static string F(double v, int decimals = 2) => double.IsFinite(v) ? v.ToString("F" + decimals, CultureInfo.InvariantCulture) : v > 0 ? "∞" : v < 0 ? "−∞" : "n/a";
    public static string Shape(IEnumerable<long> dims) => string.Join("×", dims.Select(d => d.ToString(CultureInfo.InvariantCulture)));
    public static string Pct(double p, int decimals = 1) => F(100 * p, decimals) + "%";
    public static string Db(double psnr) => double.IsPositiveInfinity(psnr) ? "∞ dB (exact)" : F(psnr, 1) + " dB";
}
