using System.Globalization;

namespace OnnxAudit.Reporting.Model;

/// <summary>An sRGB colour (0–255 per channel) used by every renderer.</summary>
/// <param name="R">Red.</param>
/// <param name="G">Green.</param>
/// <param name="B">Blue.</param>
public readonly record struct ReportColor(byte R, byte G, byte B)
{
    /// <summary>CSS form, e.g. <c>#c0392b</c>.</summary>
    public string Hex => string.Create(CultureInfo.InvariantCulture, $"#{R:x2}{G:x2}{B:x2}");

    /// <summary>This colour mixed with white; <paramref name="amount"/> 0 = unchanged, 1 = white.</summary>
    public ReportColor Tint(double amount)
    {
        amount = Math.Clamp(amount, 0, 1);
        static byte Mix(byte c, double a) => (byte)Math.Round(c + (255 - c) * a);
        return new ReportColor(Mix(R, amount), Mix(G, amount), Mix(B, amount));
    }
}
