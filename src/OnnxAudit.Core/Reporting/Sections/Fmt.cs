using OnnxAudit.Common;

namespace OnnxAudit.Reporting.Sections;

/// <summary>Invariant number formatting shared by section builders (<see cref="Invariant"/>).</summary>
internal static class Fmt
{
    public static string N(long v) => Invariant.N(v);
    public static string F(double v, int decimals = 2) => Invariant.F(v, decimals);
    public static string Shape(IEnumerable<long> dims) => Invariant.Shape(dims);
    public static string Pct(double p, int decimals = 1) => Invariant.Pct(p, decimals);
    public static string Db(double psnr) => Invariant.Db(psnr);
}
