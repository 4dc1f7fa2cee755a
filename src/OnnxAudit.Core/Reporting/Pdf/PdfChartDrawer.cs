using OnnxAudit.Reporting.Model;
using PdfSharp.Drawing;

namespace OnnxAudit.Reporting.Pdf;

/// <summary>Draws a <see cref="ChartBlock"/> as vector graphics: axes, ticks, grid, series, thresholds, legend.</summary>
internal static class PdfChartDrawer
{
    public const double PlotHeight = 160;

    /// <summary>Total height the chart needs at <paramref name="width"/> (title, plot, axis titles, legend).</summary>
    public static double Height(XGraphics gfx, PdfFonts fonts, ChartBlock c, double width) =>
        18 + PlotHeight + 34 + LegendRows(gfx, fonts, c, width).Count * 13 + 4;

    /// <summary>Draws the chart with its top-left corner at (<paramref name="x"/>, <paramref name="y"/>).</summary>
    public static void Draw(XGraphics gfx, PdfFonts fonts, ChartBlock c, double x, double y, double width)
    {
        var text = new XSolidBrush(PdfTheme.Text);
        var muted = new XSolidBrush(PdfTheme.Muted);
        var tickFont = fonts.Get(7);
        gfx.DrawString(TextWrapper.Ellipsize(gfx, c.Title, fonts.Get(9.5, true), width), fonts.Get(9.5, true), text,
            new XRect(x, y, width, 14), XStringFormats.TopCenter);

        const double left = 52, right = 12;
        var px = x + left;
        var py = y + 18;
        var pw = width - left - right;
        var ph = PlotHeight;
        var (yMin, yMax, yTicks) = ChartScale.YRange(c);
        double Yp(double v) => py + ph - (v - yMin) / (yMax - yMin) * ph;

        // Grid and y ticks.
        var gridPen = new XPen(XColor.FromArgb(0xE3, 0xE6, 0xE9), 0.5);
        var axisPen = new XPen(PdfTheme.Muted, 0.8);
        foreach (var t in yTicks)
        {
            var ty = Yp(t);
            gfx.DrawLine(gridPen, px, ty, px + pw, ty);
            gfx.DrawLine(axisPen, px - 3, ty, px, ty);
            gfx.DrawString(ChartScale.Format(t), tickFont, muted, new XRect(px - 48, ty - 5, 43, 10), XStringFormats.CenterRight);
        }

        if (c.Kind == ChartKind.Line) DrawLineSeries(gfx, c, px, py, pw, ph, Yp, tickFont, muted, gridPen, axisPen);
        else DrawBars(gfx, c, px, py, pw, ph, Yp, yMin, tickFont, muted);

        // Thresholds.
        var thFont = fonts.Get(6.5);
        foreach (var th in c.Thresholds)
        {
            if (!double.IsFinite(th.Y) || th.Y < yMin || th.Y > yMax) continue;
            var color = th.Severity is { } s ? s.Color().ToX() : PdfTheme.Muted;
            var pen = new XPen(color, 1) { DashStyle = XDashStyle.Dash };
            var ty = Yp(th.Y);
            gfx.DrawLine(pen, px, ty, px + pw, ty);
            gfx.DrawString(TextWrapper.Ellipsize(gfx, th.Label, thFont, pw / 2), thFont, new XSolidBrush(color),
                new XRect(px, ty - 9, pw - 2, 8), XStringFormats.BottomRight);
        }

        // Axes and axis titles.
        gfx.DrawLine(axisPen, px, py, px, py + ph);
        gfx.DrawLine(axisPen, px, py + ph, px + pw, py + ph);
        var axisFont = fonts.Get(8);
        gfx.DrawString(TextWrapper.Ellipsize(gfx, c.XAxisTitle, axisFont, pw), axisFont, text,
            new XRect(px, py + ph + 16, pw, 12), XStringFormats.TopCenter);
        var state = gfx.Save();
        gfx.RotateAtTransform(-90, new XPoint(x + 6, py + ph / 2));
        gfx.DrawString(TextWrapper.Ellipsize(gfx, c.YAxisTitle, axisFont, ph), axisFont, text,
            new XRect(x + 6 - ph / 2, py + ph / 2 - 6, ph, 12), XStringFormats.Center);
        gfx.Restore(state);

        // Legend rows under the axis title.
        var ly = py + ph + 34;
        var legendFont = fonts.Get(7.5);
        foreach (var row in LegendRows(gfx, fonts, c, width))
        {
            var rowWidth = row.Sum(e => e.Width);
            var lx = x + (width - rowWidth) / 2;
            foreach (var (index, w) in row)
            {
                var col = PdfTheme.Palette[index % PdfTheme.Palette.Length];
                if (c.Kind == ChartKind.Line)
                {
                    gfx.DrawLine(new XPen(col, 1.6), lx, ly + 5, lx + 14, ly + 5);
                    gfx.DrawEllipse(new XSolidBrush(col), lx + 5, ly + 3, 4, 4);
                }
                else gfx.DrawRectangle(new XSolidBrush(col), lx + 3, ly + 1, 8, 8);
                gfx.DrawString(c.Series[index].Name, legendFont, text, new XPoint(lx + 18, ly), XStringFormats.TopLeft);
                lx += w;
            }
            ly += 13;
        }
    }

    private static void DrawLineSeries(XGraphics gfx, ChartBlock c, double px, double py, double pw, double ph,
        Func<double, double> yp, XFont tickFont, XBrush muted, XPen gridPen, XPen axisPen)
    {
        var (xMin, xMax, xTicks) = ChartScale.XRange(c);
        double Xp(double v) => px + ((c.LogX ? Math.Log10(v) : v) - xMin) / (xMax - xMin) * pw;
        foreach (var t in xTicks)
        {
            var tx = px + (t - xMin) / (xMax - xMin) * pw;
            gfx.DrawLine(gridPen, tx, py, tx, py + ph);
            gfx.DrawLine(axisPen, tx, py + ph, tx, py + ph + 3);
            var label = c.LogX ? ChartScale.Format(Math.Pow(10, t)) : ChartScale.Format(t);
            gfx.DrawString(label, tickFont, muted, new XRect(tx - 25, py + ph + 4, 50, 9), XStringFormats.TopCenter);
        }
        var state = gfx.Save();
        gfx.IntersectClip(new XRect(px - 3, py - 3, pw + 6, ph + 6));
        for (var si = 0; si < c.Series.Count; si++)
        {
            var col = PdfTheme.Palette[si % PdfTheme.Palette.Length];
            var pen = new XPen(col, 1.6) { LineJoin = XLineJoin.Round };
            var brush = new XSolidBrush(col);
            var run = new List<XPoint>();
            void Flush()
            {
                if (run.Count >= 2) gfx.DrawLines(pen, run.ToArray());
                run.Clear();
            }
            foreach (var p in c.Series[si].Points)
            {
                if (!double.IsFinite(p.Y) || !double.IsFinite(p.X) || c.LogX && p.X <= 0) { Flush(); continue; }
                var pt = new XPoint(Xp(p.X), yp(p.Y));
                run.Add(pt);
                gfx.DrawEllipse(brush, pt.X - 2, pt.Y - 2, 4, 4);
            }
            Flush();
        }
        gfx.Restore(state);
    }

    private static void DrawBars(XGraphics gfx, ChartBlock c, double px, double py, double pw, double ph,
        Func<double, double> yp, double yMin, XFont tickFont, XBrush muted)
    {
        var cats = ChartScale.Categories(c);
        var groupW = pw / Math.Max(1, cats.Length);
        var barW = groupW * 0.8 / c.Series.Count;
        var baseY = yp(Math.Max(0, yMin));
        var state = gfx.Save();
        gfx.IntersectClip(new XRect(px, py, pw, ph));
        for (var si = 0; si < c.Series.Count; si++)
        {
            var brush = new XSolidBrush(PdfTheme.Palette[si % PdfTheme.Palette.Length]);
            var pts = c.Series[si].Points;
            for (var i = 0; i < pts.Count; i++)
            {
                if (!double.IsFinite(pts[i].Y)) continue;
                var bx = px + i * groupW + groupW * 0.1 + si * barW;
                var top = yp(pts[i].Y);
                gfx.DrawRectangle(brush, bx, Math.Min(top, baseY), barW, Math.Abs(baseY - top));
            }
        }
        gfx.Restore(state);
        for (var i = 0; i < cats.Length; i++)
        {
            var label = TextWrapper.Ellipsize(gfx, cats[i], tickFont, groupW - 2);
            gfx.DrawString(label, tickFont, muted, new XRect(px + i * groupW, py + ph + 4, groupW, 9), XStringFormats.TopCenter);
        }
    }

    private static List<List<(int Index, double Width)>> LegendRows(XGraphics gfx, PdfFonts fonts, ChartBlock c, double width)
    {
        var rows = new List<List<(int, double)>> { new() };
        double used = 0;
        for (var i = 0; i < c.Series.Count; i++)
        {
            var w = 18 + gfx.MeasureString(c.Series[i].Name, fonts.Get(7.5)).Width + 14;
            if (used + w > width && rows[^1].Count > 0) { rows.Add([]); used = 0; }
            rows[^1].Add((i, w));
            used += w;
        }
        return rows;
    }
}
