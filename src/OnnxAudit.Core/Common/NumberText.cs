using System.Globalization;

namespace OnnxAudit.Common;

/// <summary>Numbers as the report and the progress lines print them.</summary>
public static class NumberText
{
    /// <summary>"1e-6", "1e+3", "0.01": three significant digits, invariant culture, the exponent without padding
    /// (.NET's "G3" writes 1000 as "1E+03").</summary>
    public static string G3(double v) => G(v, 3);

    /// <summary>As <see cref="G3"/> with <paramref name="digits"/> significant digits.</summary>
    public static string G(double v, int digits)
    {
        var t = v.ToString("G" + digits.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
        var e = t.IndexOf('E', StringComparison.Ordinal);
        if (e < 0) return t;
        var exp = int.Parse(t[(e + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
        return t[..e] + "e" + (exp > 0 ? "+" : "") + exp.ToString(CultureInfo.InvariantCulture);
    }
}
