using System.Globalization;

namespace OnnxAudit.Reporting;

/// <summary>Y ranges, log decades, category labels and tick-label format for <see cref="ReportChart"/> (ScottPlot draws the ticks).</summary>
internal static class ChartScale
{
    /// <summary>Ticks covering [min, max] with a 1-2-5 step; the returned range is widened to the outer ticks.</summary>
    public static (double Min, double Max, double[] Ticks) Nice(double min, double max, int target = 5)
    {
        if (!double.IsFinite(min) || !double.IsFinite(max)) (min, max) = (0, 1);
        if (max < min) (min, max) = (max, min);
        if (max - min < 1e-12 * Math.Max(1, Math.Abs(max)))
        {
            var pad = Math.Abs(max) > 0 ? Math.Abs(max) * 0.1 : 1;
            min -= pad;
            max += pad;
        }
        var raw = (max - min) / target;
        var mag = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        var norm = raw / mag;
        var step = (norm < 1.5 ? 1 : norm < 3 ? 2 : norm < 7 ? 5 : 10) * mag;
        // Ticks are integer multiples of the step, so they are evenly spaced and 0 is exactly 0.
        var k0 = (long)Math.Floor(min / step + 1e-9);
        var k1 = (long)Math.Ceiling(max / step - 1e-9);
        var ticks = Enumerable.Range(0, (int)(k1 - k0) + 1).Select(i => (k0 + i) * step).ToArray();
        // The 1e-9 slack above may leave the data a few ulps outside the outer ticks: cover it exactly.
        return (Math.Min(ticks[0], min), Math.Max(ticks[^1], max), ticks);
    }

    /// <summary>Decade ticks 10^k covering [min, max] (both &gt; 0), as log10 values.</summary>
    public static (double Min, double Max, double[] Ticks) LogDecades(double min, double max)
    {
        var lo = Math.Floor(Math.Log10(min));
        var hi = Math.Ceiling(Math.Log10(max));
        if (hi <= lo) hi = lo + 1;
        var ticks = Enumerable.Range(0, (int)(hi - lo) + 1).Select(i => lo + i).ToArray();
        return (lo, hi, ticks);
    }

    /// <summary>Short tick label: 4 significant digits, exponent form for very large or small values.</summary>
    public static string Format(double v)
    {
        if (v == 0) return "0";
        var a = Math.Abs(v);
        return a >= 1e5 || a < 1e-3
            ? v.ToString("0.##E+0", CultureInfo.InvariantCulture)
            : v.ToString("G4", CultureInfo.InvariantCulture);
    }

    /// <summary>Data range of the finite y values plus thresholds, honouring fixed limits; bars include 0.</summary>
    public static (double Min, double Max, double[] Ticks) YRange(Model.ChartBlock c)
    {
        var ys = c.Series.SelectMany(s => s.Points).Select(p => p.Y).Concat(c.Thresholds.Select(t => t.Y)).Where(double.IsFinite).ToList();
        if (c.Kind == Model.ChartKind.Bar) ys.Add(0);
        double lo = ys.Count > 0 ? ys.Min() : 0, hi = ys.Count > 0 ? ys.Max() : 1;
        if (c.YMin is { } fmin) lo = fmin;
        if (c.YMax is { } fmax) hi = fmax;
        var nice = Nice(lo, hi);
        // Fixed limits are kept exactly; ticks outside them are dropped.
        var min = c.YMin ?? nice.Min;
        var max = c.YMax ?? nice.Max;
        return (min, max, nice.Ticks.Where(t => t >= min - 1e-9 * Math.Abs(max - min) && t <= max + 1e-9 * Math.Abs(max - min)).ToArray());
    }

    /// <summary>Bar charts: category labels (first label found for each point index, else its x).</summary>
    public static string[] Categories(Model.ChartBlock c)
    {
        var n = c.Series.Max(s => s.Points.Count);
        var cats = new string[n];
        for (var i = 0; i < n; i++)
        {
            var p = c.Series.Where(s => i < s.Points.Count).Select(s => s.Points[i]).First();
            cats[i] = c.Series.Where(s => i < s.Points.Count).Select(s => s.Points[i].Label).FirstOrDefault(l => l is not null) ?? Format(p.X);
        }
        return cats;
    }
}
