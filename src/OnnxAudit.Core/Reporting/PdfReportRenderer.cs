using System.Globalization;
using OnnxAudit.Reporting.Model;
using OnnxAudit.Reporting.Pdf;
using PdfSharp.Drawing;
using PdfSharp.Pdf;

namespace OnnxAudit.Reporting;

/// <summary>
/// Renders report.pdf with PDFsharp: A4 cover (title, model identity, executive summary with coloured
/// verdict badges, recommended actions), table of contents with page numbers, one section per
/// <see cref="ReportSection"/> (each starting on a new page), methodology with references,
/// reproducibility and timing, "page N of M" footers, outline bookmarks and document metadata.
/// Stateless; safe to call from several threads (PDFsharp setup is done once, under a lock).
/// </summary>
internal sealed class PdfReportRenderer : IReportRenderer
{
    private const double TocLine = 17;
    private const double H1Size = 15;

    /// <inheritdoc/>
    public string FileName => "report.pdf";

    /// <inheritdoc/>
    public void Render(AuditReport report, Stream output)
    {
        PdfSharpSetup.EnsureInitialized();
        using var document = new PdfDocument();
        document.Info.Title = report.Title;
        document.Info.Author = "OnnxAudit";
        document.Info.Subject = $"Data-leakage audit of ONNX model {report.Model.Name} (SHA-256 {report.Model.Sha256})";
        document.Info.Keywords = string.Join(", ", new[] { "ONNX", "privacy audit", "data leakage", report.Model.Name }
            .Concat(report.ExecutiveSummary.Select(v => v.Threat)));
        document.Info.Creator = ReportInfo.Creator;
        document.Info.CreationDate = report.Timing.Started.UtcDateTime;

        var images = new List<XImage>();
        using (var canvas = new PdfCanvas(document))
        {
            canvas.NewPage();
            DrawCover(canvas, report);

            // Table of contents: reserve its pages now, fill them once section pages are known.
            List<(string Number, string Title)> entries =
            [
                .. report.Sections.Select((s, i) => ((i + 1).ToString(CultureInfo.InvariantCulture) + ".", s.Title)),
                ("", "Methodology"),
                ("", "Reproducibility"),
            ];
            var perPage = (int)Math.Floor((PdfTheme.ContentBottom - PdfTheme.MarginTop - 40) / TocLine);
            var tocPages = new List<PdfPage>();
            for (var i = 0; i < Math.Max(1, (entries.Count + perPage - 1) / perPage); i++)
            {
                tocPages.Add(canvas.ReservePage());
            }

            var starts = new List<PdfPage>();
            for (var i = 0; i < report.Sections.Count; i++)
            {
                var s = report.Sections[i];
                canvas.NewPage();
                starts.Add(canvas.Page);
                Heading(canvas, (i + 1).ToString(CultureInfo.InvariantCulture) + ".  " + s.Title);
                foreach (var b in s.Blocks) DrawBlock(canvas, b, images);
            }
            canvas.NewPage();
            starts.Add(canvas.Page);
            Heading(canvas, "Methodology");
            DrawMethodology(canvas, report.Methodology);
            canvas.Y += 10;
            canvas.EnsureSpace(80);
            starts.Add(canvas.Page);
            Heading(canvas, "Reproducibility");
            DrawReproducibility(canvas, report);

            canvas.Dispose();
            DrawToc(document, canvas.Fonts, tocPages, entries, starts, perPage);
            var outline = document.Outlines;
            outline.Add("Summary", document.Pages[0], true);
            outline.Add("Contents", tocPages[0], true);
            for (var i = 0; i < entries.Count; i++)
                outline.Add((entries[i].Number + " " + entries[i].Title).Trim(), starts[i], true);
            DrawFooters(document, canvas.Fonts, report);
        }
        document.Save(output, false);
        foreach (var img in images) img.Dispose();
    }

    // ---------------------------------------------------------------- cover

    private static void DrawCover(PdfCanvas c, AuditReport r)
    {
        var gfx = c.Gfx;
        var f = c.Fonts;
        var titleFont = f.Get(21, true);
        var titleLines = TextWrapper.Wrap(gfx, r.Title, titleFont, PdfTheme.ContentWidth);
        var bandH = 58 + titleLines.Count * 28;
        gfx.DrawRectangle(new XSolidBrush(PdfTheme.Accent), 0, 0, PdfTheme.PageWidth, bandH);
        gfx.DrawString("ONNXAUDIT · DATA-LEAKAGE AUDIT", f.Get(8, true), new XSolidBrush(XColor.FromArgb(0xB5, 0xC7, 0xDB)),
            new XPoint(PdfTheme.MarginLeft, 26), XStringFormats.TopLeft);
        var y = 42.0;
        foreach (var l in titleLines)
        {
            PdfCanvas.DrawLine(gfx, l, PdfTheme.MarginLeft, y, XColors.White);
            y += 28;
        }
        c.Y = bandH + 22;

        SubHeading(c, "Model");
        DrawKeyValues(c, r.Model.ToRows(), keyShare: 0.22);
        c.Y += 12;

        SubHeading(c, "Executive summary");
        var highest = r.HighestSeverity();
        DrawBadgeLine(c, highest, "Highest severity found: ", highest.Label());
        c.Y += 4;
        foreach (var v in r.ExecutiveSummary) DrawVerdict(c, v);

        var withActions = r.ExecutiveSummary.Where(v => v.Actions.Count > 0).ToList();
        if (withActions.Count > 0)
        {
            c.Y += 6;
            c.EnsureSpace(60);
            SubHeading(c, "Recommended actions");
            foreach (var v in withActions)
            {
                c.EnsureSpace(30);
                c.DrawLines(TextWrapper.Wrap(c.Gfx, v.Threat, f.BodyBold, PdfTheme.ContentWidth), PdfTheme.MarginLeft,
                    PdfFonts.LineHeight(PdfTheme.BodySize), PdfTheme.Text);
                foreach (var a in v.Actions) Bullet(c, a);
                c.Y += 3;
            }
        }
    }

    private static void DrawBadgeLine(PdfCanvas c, Severity s, string label, string value)
    {
        c.EnsureSpace(20);
        var gfx = c.Gfx;
        gfx.DrawString(label, c.Fonts.BodyBold, new XSolidBrush(PdfTheme.Text), new XPoint(PdfTheme.MarginLeft, c.Y + 2), XStringFormats.TopLeft);
        var x = PdfTheme.MarginLeft + gfx.MeasureString(label, c.Fonts.BodyBold).Width + 4;
        Badge(gfx, c.Fonts, s, x, c.Y, 84);
        _ = value;
        c.Y += 20;
    }

    private static void Badge(XGraphics gfx, PdfFonts f, Severity s, double x, double y, double w)
    {
        gfx.DrawRoundedRectangle(new XSolidBrush(s.Color().ToX()), x, y, w, 15, 6, 6);
        gfx.DrawString(s.Label(), f.Get(7.5, true), XBrushes.White, new XRect(x, y, w, 15), XStringFormats.Center);
    }

    private static void DrawVerdict(PdfCanvas c, ThreatVerdict v)
    {
        const double badgeW = 84;
        var textX = PdfTheme.MarginLeft + badgeW + 10;
        var textW = PdfTheme.ContentWidth - badgeW - 10;
        var lh = PdfFonts.LineHeight(PdfTheme.BodySize);
        var lines = TextWrapper.Wrap(c.Gfx, [(v.Threat, c.Fonts.BodyBold), ("\n", c.Fonts.Body), (v.Evidence, c.Fonts.Body)], textW);
        var h = Math.Max(18, lines.Count * lh) + 8;
        c.EnsureSpace(h);
        var gfx = c.Gfx;
        gfx.DrawRectangle(new XSolidBrush(v.Severity.Color().Tint(0.9).ToX()), PdfTheme.MarginLeft - 4, c.Y - 3, PdfTheme.ContentWidth + 8, h);
        Badge(gfx, c.Fonts, v.Severity, PdfTheme.MarginLeft, c.Y, badgeW);
        var y = c.Y;
        foreach (var l in lines) { PdfCanvas.DrawLine(gfx, l, textX, y, PdfTheme.Text); y += lh; }
        c.Y += h + 3;
    }

    // ---------------------------------------------------------------- headings, text

    private static void Heading(PdfCanvas c, string text)
    {
        var font = c.Fonts.Get(H1Size, true);
        c.EnsureSpace(90);
        var lines = TextWrapper.Wrap(c.Gfx, text, font, PdfTheme.ContentWidth);
        c.DrawLines(lines, PdfTheme.MarginLeft, PdfFonts.LineHeight(H1Size), PdfTheme.Accent);
        c.Gfx.DrawLine(new XPen(PdfTheme.Accent, 1.2), PdfTheme.MarginLeft, c.Y + 1, PdfTheme.MarginLeft + PdfTheme.ContentWidth, c.Y + 1);
        c.Y += 12;
    }

    private static void SubHeading(PdfCanvas c, string text)
    {
        c.EnsureSpace(60);
        var font = c.Fonts.Get(12, true);
        c.DrawLines(TextWrapper.Wrap(c.Gfx, text, font, PdfTheme.ContentWidth), PdfTheme.MarginLeft, PdfFonts.LineHeight(12), PdfTheme.Accent);
        c.Y += 3;
    }

    private static void Caption(PdfCanvas c, string? caption)
    {
        if (string.IsNullOrEmpty(caption)) return;
        c.DrawLines(TextWrapper.Wrap(c.Gfx, caption, c.Fonts.BodyBold, PdfTheme.ContentWidth), PdfTheme.MarginLeft,
            PdfFonts.LineHeight(PdfTheme.BodySize), PdfTheme.Text);
        c.Y += 2;
    }

    private static void Bullet(PdfCanvas c, string text)
    {
        var lh = PdfFonts.LineHeight(PdfTheme.BodySize);
        var lines = TextWrapper.Wrap(c.Gfx, text, c.Fonts.Body, PdfTheme.ContentWidth - 14);
        c.EnsureSpace(lh);
        c.Gfx.DrawString("•", c.Fonts.Body, new XSolidBrush(PdfTheme.Text), new XPoint(PdfTheme.MarginLeft + 3, c.Y), XStringFormats.TopLeft);
        c.DrawLines(lines, PdfTheme.MarginLeft + 14, lh, PdfTheme.Text);
    }

    private static void Paragraph(PdfCanvas c, IEnumerable<(string, XFont)> runs)
    {
        var lines = TextWrapper.Wrap(c.Gfx, runs, PdfTheme.ContentWidth);
        c.DrawLines(lines, PdfTheme.MarginLeft, PdfFonts.LineHeight(PdfTheme.BodySize), PdfTheme.Text);
    }

    // ---------------------------------------------------------------- blocks

    private static void DrawBlock(PdfCanvas c, ReportBlock block, List<XImage> images)
    {
        switch (block)
        {
            case ParagraphBlock p:
                Paragraph(c, p.Runs.Select(r => (r.Text, r.Bold ? c.Fonts.BodyBold : c.Fonts.Body)));
                break;
            case KeyValueBlock kv:
                c.EnsureSpace(40);
                Caption(c, kv.Caption);
                DrawKeyValues(c, kv.Items, keyShare: 0.32);
                break;
            case TableBlock t:
                DrawTable(c, t);
                break;
            case FindingBlock f:
                DrawFinding(c, f);
                break;
            case NoteBlock n:
                DrawNote(c, n);
                break;
            case ChartBlock ch:
                var h = PdfChartDrawer.Height(c.Gfx, c.Fonts, ch, PdfTheme.ContentWidth);
                c.EnsureSpace(h);
                PdfChartDrawer.Draw(c.Gfx, c.Fonts, ch, PdfTheme.MarginLeft, c.Y, PdfTheme.ContentWidth);
                c.Y += h;
                break;
            case ImageGridBlock g:
                DrawImageGrid(c, g, images);
                break;
            default:
                throw new NotSupportedException($"Block type {block.GetType().Name} has no PDF form.");
        }
        c.Y += PdfTheme.BlockGap;
    }

    private sealed record GridCell(string Text, XFont Font, XColor? Fill, ColumnAlignment Align);

    /// <summary>Draws rows of wrapped cells; rows never split; on a page break the header row (if any) is repeated.</summary>
    private static void DrawGrid(PdfCanvas c, double[] widths, IReadOnlyList<GridCell>? header, IEnumerable<IReadOnlyList<GridCell>> rows, bool stripes)
    {
        const double pad = 3.5;
        var lh = PdfFonts.LineHeight(PdfTheme.BodySize) * 0.95;
        var rule = new XPen(PdfTheme.Rule, 0.5);

        (List<PdfTextLine>[] Lines, double Height) Measure(IReadOnlyList<GridCell> row)
        {
            var lines = row.Select((cell, i) => TextWrapper.Wrap(c.Gfx, cell.Text, cell.Font, widths[i] - 2 * pad)).ToArray();
            return (lines, lines.Max(l => l.Count) * lh + 2 * pad);
        }

        void DrawRow(IReadOnlyList<GridCell> row, (List<PdfTextLine>[] Lines, double Height) m, XColor? rowFill)
        {
            var x = PdfTheme.MarginLeft;
            for (var i = 0; i < row.Count; i++)
            {
                var fill = row[i].Fill ?? rowFill;
                if (fill is { } fc) c.Gfx.DrawRectangle(new XSolidBrush(fc), x, c.Y, widths[i], m.Height);
                var y = c.Y + pad;
                foreach (var l in m.Lines[i])
                {
                    PdfCanvas.DrawLine(c.Gfx, l, x + pad, y, PdfTheme.Text, widths[i] - 2 * pad, row[i].Align);
                    y += lh;
                }
                x += widths[i];
            }
            c.Gfx.DrawLine(rule, PdfTheme.MarginLeft, c.Y + m.Height, PdfTheme.MarginLeft + widths.Sum(), c.Y + m.Height);
            c.Y += m.Height;
        }

        var headerM = header is null ? default : Measure(header);
        void DrawHeader()
        {
            if (header is null) return;
            DrawRow(header, headerM, PdfTheme.HeaderFill);
            c.Gfx.DrawLine(new XPen(PdfTheme.Muted, 0.8), PdfTheme.MarginLeft, c.Y, PdfTheme.MarginLeft + widths.Sum(), c.Y);
        }

        var first = true;
        var index = 0;
        foreach (var row in rows)
        {
            var m = Measure(row);
            if (first)
            {
                // Keep the header with the first row.
                c.EnsureSpace((header is null ? 0 : headerM.Height) + m.Height);
                DrawHeader();
                first = false;
            }
            else if (c.EnsureSpace(m.Height)) DrawHeader();
            DrawRow(row, m, stripes && index % 2 == 1 ? PdfTheme.StripeFill : null);
            index++;
        }
        if (first)
        {
            c.EnsureSpace(header is null ? 0 : headerM.Height);
            DrawHeader();
        }
    }

    private static void DrawKeyValues(PdfCanvas c, IReadOnlyList<KeyValue> items, double keyShare)
    {
        var widths = new[] { PdfTheme.ContentWidth * keyShare, PdfTheme.ContentWidth * (1 - keyShare) };
        DrawGrid(c, widths, null, items.Select(kv => (IReadOnlyList<GridCell>)
        [
            new GridCell(kv.Key, c.Fonts.BodyBold, null, ColumnAlignment.Left),
            new GridCell(kv.Value, c.Fonts.Body, null, ColumnAlignment.Left),
        ]), stripes: false);
    }

    private static void DrawTable(PdfCanvas c, TableBlock t)
    {
        c.EnsureSpace(60);
        Caption(c, t.Caption);
        var total = t.Columns.Sum(col => col.RelativeWidth);
        var widths = t.Columns.Select(col => PdfTheme.ContentWidth * col.RelativeWidth / total).ToArray();
        var header = t.Columns.Select(col => new GridCell(col.Header, c.Fonts.BodyBold, null, col.Alignment)).ToArray();
        DrawGrid(c, widths, header, t.Rows.Select(row => (IReadOnlyList<GridCell>)row.Select((cell, i) =>
            new GridCell(cell.Text, c.Fonts.Body, cell.Severity is { } s ? s.Color().Tint(0.72).ToX() : null, t.Columns[i].Alignment)).ToArray()),
            stripes: true);
    }

    private static void DrawFinding(PdfCanvas c, FindingBlock f)
    {
        const double badgeW = 72, inset = 10;
        var lh = PdfFonts.LineHeight(PdfTheme.BodySize);
        var textW = PdfTheme.ContentWidth - 2 * inset;
        var titleLines = TextWrapper.Wrap(c.Gfx, f.Title, c.Fonts.Get(10, true), textW - badgeW - 8);
        var body = TextWrapper.Wrap(c.Gfx,
        [
            ("Evidence: ", c.Fonts.BodyBold), (f.Evidence, c.Fonts.Body), ("\n", c.Fonts.Body),
            ("Recommendation: ", c.Fonts.BodyBold), (f.Recommendation, c.Fonts.Body), ("\n", c.Fonts.Body),
        ], textW);
        var rule = TextWrapper.Wrap(c.Gfx, "Rule: " + f.Rule, c.Fonts.Small, textW);
        var titleH = Math.Max(17, titleLines.Count * PdfFonts.LineHeight(10));
        var h = 8 + titleH + 4 + body.Count * lh + rule.Count * PdfFonts.LineHeight(PdfTheme.SmallSize) + 8;
        c.EnsureSpace(h);
        var gfx = c.Gfx;
        var x0 = PdfTheme.MarginLeft;
        var color = f.Severity.Color();
        gfx.DrawRectangle(new XPen(color.Tint(0.5).ToX(), 0.6), new XSolidBrush(color.Tint(0.93).ToX()), x0, c.Y, PdfTheme.ContentWidth, h);
        gfx.DrawRectangle(new XSolidBrush(color.ToX()), x0, c.Y, 4, h);
        var y = c.Y + 8;
        Badge(gfx, c.Fonts, f.Severity, x0 + inset, y, badgeW);
        var ty = y + 1;
        foreach (var l in titleLines) { PdfCanvas.DrawLine(gfx, l, x0 + inset + badgeW + 8, ty, PdfTheme.Text); ty += PdfFonts.LineHeight(10); }
        y += titleH + 4;
        foreach (var l in body) { PdfCanvas.DrawLine(gfx, l, x0 + inset, y, PdfTheme.Text); y += lh; }
        foreach (var l in rule) { PdfCanvas.DrawLine(gfx, l, x0 + inset, y, PdfTheme.Muted); y += PdfFonts.LineHeight(PdfTheme.SmallSize); }
        c.Y += h;
    }

    private static void DrawNote(PdfCanvas c, NoteBlock n)
    {
        const double inset = 10;
        var lh = PdfFonts.LineHeight(PdfTheme.BodySize);
        var label = n.Kind == NoteKind.Warning ? "Warning: " : "Note: ";
        var lines = TextWrapper.Wrap(c.Gfx, [(label, c.Fonts.BodyBold), (n.Text, c.Fonts.Body)], PdfTheme.ContentWidth - 2 * inset);
        var h = lines.Count * lh + 12;
        if (h <= PdfTheme.ContentBottom - PdfTheme.MarginTop) c.EnsureSpace(h);
        var fill = n.Kind == NoteKind.Warning ? PdfTheme.WarnFill : PdfTheme.InfoFill;
        var bar = n.Kind == NoteKind.Warning ? PdfTheme.WarnBar : PdfTheme.InfoBar;
        var visible = Math.Min(h, c.Remaining);
        c.Gfx.DrawRectangle(new XSolidBrush(fill), PdfTheme.MarginLeft, c.Y, PdfTheme.ContentWidth, visible);
        c.Gfx.DrawRectangle(new XSolidBrush(bar), PdfTheme.MarginLeft, c.Y, 3, visible);
        c.Y += 6;
        c.DrawLines(lines, PdfTheme.MarginLeft + inset, lh, PdfTheme.Text);
        c.Y += 6;
    }

    private static void DrawImageGrid(PdfCanvas c, ImageGridBlock g, List<XImage> images)
    {
        const double labelW = 78, gap = 6;
        var n = Math.Max(1, g.ColumnCount);
        var cell = Math.Min(78, (PdfTheme.ContentWidth - labelW - gap * (n - 1)) / n);
        var headFont = c.Fonts.SmallBold;
        var capFont = c.Fonts.Get(6.5);
        var capH = PdfFonts.LineHeight(6.5);
        var lh = PdfFonts.LineHeight(PdfTheme.SmallSize);

        void ColumnHeaders()
        {
            if (g.ColumnLabels.Count == 0) return;
            for (var i = 0; i < g.ColumnLabels.Count; i++)
            {
                var x = PdfTheme.MarginLeft + labelW + i * (cell + gap);
                var label = TextWrapper.Ellipsize(c.Gfx, g.ColumnLabels[i], headFont, cell + gap - 1);
                c.Gfx.DrawString(label, headFont, new XSolidBrush(PdfTheme.Text), new XRect(x - gap / 2, c.Y, cell + gap, lh), XStringFormats.TopCenter);
            }
            c.Y += lh + 2;
        }

        var firstRowH = cell + (g.Rows.Count > 0 && g.Rows[0].Images.Any(i => i.Caption is not null) ? capH + 2 : 0) + gap;
        c.EnsureSpace(lh + 2 + firstRowH);
        ColumnHeaders();
        foreach (var row in g.Rows)
        {
            var hasCap = row.Images.Any(i => i.Caption is not null);
            var rowH = cell + (hasCap ? capH + 2 : 0) + gap;
            if (c.EnsureSpace(rowH)) ColumnHeaders();
            var labelLines = TextWrapper.Wrap(c.Gfx, row.Label, c.Fonts.SmallBold, labelW - 6);
            var ly = c.Y + (cell - labelLines.Count * lh) / 2;
            foreach (var l in labelLines) { PdfCanvas.DrawLine(c.Gfx, l, PdfTheme.MarginLeft, ly, PdfTheme.Text); ly += lh; }
            for (var i = 0; i < row.Images.Count; i++)
            {
                var x = PdfTheme.MarginLeft + labelW + i * (cell + gap);
                var img = XImage.FromStream(new MemoryStream(row.Images[i].Png, writable: false));
                img.Interpolate = false;
                images.Add(img);
                var scale = Math.Min(cell / img.PixelWidth, cell / img.PixelHeight);
                var w = img.PixelWidth * scale;
                var h = img.PixelHeight * scale;
                c.Gfx.DrawImage(img, x + (cell - w) / 2, c.Y + (cell - h) / 2, w, h);
                c.Gfx.DrawRectangle(new XPen(PdfTheme.Rule, 0.4), x + (cell - w) / 2, c.Y + (cell - h) / 2, w, h);
                if (row.Images[i].Caption is { } cap)
                    c.Gfx.DrawString(TextWrapper.Ellipsize(c.Gfx, cap, capFont, cell + gap - 1), capFont, new XSolidBrush(PdfTheme.Muted),
                        new XRect(x - gap / 2, c.Y + cell + 1, cell + gap, capH), XStringFormats.TopCenter);
            }
            c.Y += rowH;
        }
        if (!string.IsNullOrEmpty(g.Caption))
            c.DrawLines(TextWrapper.Wrap(c.Gfx, g.Caption, c.Fonts.Small, PdfTheme.ContentWidth), PdfTheme.MarginLeft, lh, PdfTheme.Muted);
    }

    // ---------------------------------------------------------------- back matter

    private static void DrawMethodology(PdfCanvas c, Methodology m)
    {
        foreach (var p in m.Paragraphs)
        {
            Paragraph(c, [(p, c.Fonts.Body)]);
            c.Y += 6;
        }
        if (m.References.Count == 0) return;
        c.Y += 4;
        SubHeading(c, "References");
        var lh = PdfFonts.LineHeight(PdfTheme.BodySize);
        foreach (var r in m.References)
        {
            var key = "[" + r.Key + "]";
            var runs = new List<(string, XFont)> { (r.Text, c.Fonts.Body) };
            if (r.Url is not null) runs.Add((" " + r.Url, c.Fonts.Body));
            var lines = TextWrapper.Wrap(c.Gfx, runs, PdfTheme.ContentWidth - 60);
            c.EnsureSpace(lh * Math.Min(2, lines.Count));
            c.Gfx.DrawString(key, c.Fonts.BodyBold, new XSolidBrush(PdfTheme.Text), new XPoint(PdfTheme.MarginLeft, c.Y), XStringFormats.TopLeft);
            c.DrawLines(lines, PdfTheme.MarginLeft + 60, lh, PdfTheme.Text);
            c.Y += 3;
        }
    }

    private static void DrawReproducibility(PdfCanvas c, AuditReport r)
    {
        DrawKeyValues(c, r.Reproducibility.Items, keyShare: 0.28);
        c.Y += 12;
        SubHeading(c, "Timing");
        var inv = CultureInfo.InvariantCulture;
        var rows = new List<KeyValue>
        {
            new("Started", r.Timing.Started.ToString("yyyy-MM-dd HH:mm:ss zzz", inv)),
            new("Finished", r.Timing.Finished.ToString("yyyy-MM-dd HH:mm:ss zzz", inv)),
            new("Total duration", FormatDuration(r.Timing.Total)),
        };
        rows.AddRange(r.Timing.Stages.Select(s => new KeyValue(s.Stage, FormatDuration(s.Duration))));
        DrawKeyValues(c, rows, keyShare: 0.28);
        c.Y += 4;
        c.DrawLines(TextWrapper.Wrap(c.Gfx, "Timing varies between runs and is excluded from determinism comparisons (JSON: the top-level \"timing\" object).",
            c.Fonts.Small, PdfTheme.ContentWidth), PdfTheme.MarginLeft, PdfFonts.LineHeight(PdfTheme.SmallSize), PdfTheme.Muted);
    }

    private static string FormatDuration(TimeSpan t) =>
        t.TotalSeconds < 60
            ? t.TotalSeconds.ToString("0.00", CultureInfo.InvariantCulture) + " s"
            : $"{(int)t.TotalMinutes} min {t.Seconds.ToString("00", CultureInfo.InvariantCulture)} s";

    private static void DrawToc(PdfDocument doc, PdfFonts f, List<PdfPage> tocPages, List<(string Number, string Title)> entries, List<PdfPage> starts, int perPage)
    {
        var pageIndex = new Dictionary<PdfPage, int>();
        for (var i = 0; i < doc.PageCount; i++) pageIndex[doc.Pages[i]] = i + 1;
        for (var p = 0; p < tocPages.Count; p++)
        {
            using var gfx = XGraphics.FromPdfPage(tocPages[p]);
            var y = PdfTheme.MarginTop;
            gfx.DrawString(p == 0 ? "Contents" : "Contents (continued)", f.Get(H1Size, true), new XSolidBrush(PdfTheme.Accent),
                new XPoint(PdfTheme.MarginLeft, y), XStringFormats.TopLeft);
            y += PdfFonts.LineHeight(H1Size);
            gfx.DrawLine(new XPen(PdfTheme.Accent, 1.2), PdfTheme.MarginLeft, y + 1, PdfTheme.MarginLeft + PdfTheme.ContentWidth, y + 1);
            y += 18;
            var brush = new XSolidBrush(PdfTheme.Text);
            foreach (var i in Enumerable.Range(p * perPage, Math.Min(perPage, entries.Count - p * perPage)))
            {
                var (num, title) = entries[i];
                var pageText = pageIndex[starts[i]].ToString(CultureInfo.InvariantCulture);
                var font = f.Get(10.5);
                var numW = 26.0;
                var pageW = gfx.MeasureString(pageText, font).Width;
                var maxTitle = PdfTheme.ContentWidth - numW - pageW - 24;
                var shown = TextWrapper.Ellipsize(gfx, title, font, maxTitle);
                gfx.DrawString(num, font, brush, new XPoint(PdfTheme.MarginLeft, y), XStringFormats.TopLeft);
                gfx.DrawString(shown, font, brush, new XPoint(PdfTheme.MarginLeft + numW, y), XStringFormats.TopLeft);
                var right = PdfTheme.MarginLeft + PdfTheme.ContentWidth;
                gfx.DrawString(pageText, font, brush, new XPoint(right - pageW, y), XStringFormats.TopLeft);
                // Dot leader between the title and the page number.
                var dotsFrom = PdfTheme.MarginLeft + numW + gfx.MeasureString(shown, font).Width + 6;
                var dotsTo = right - pageW - 6;
                var dots = new XPen(PdfTheme.Rule, 0.8) { DashStyle = XDashStyle.Dot };
                if (dotsTo > dotsFrom) gfx.DrawLine(dots, dotsFrom, y + 9, dotsTo, y + 9);
                y += TocLine;
            }
        }
    }

    private static void DrawFooters(PdfDocument doc, PdfFonts f, AuditReport r)
    {
        var n = doc.PageCount;
        var font = f.Get(7.5);
        var brush = new XSolidBrush(PdfTheme.Muted);
        for (var i = 0; i < n; i++)
        {
            using var gfx = XGraphics.FromPdfPage(doc.Pages[i]);
            var y = PdfTheme.PageHeight - 40;
            gfx.DrawLine(new XPen(PdfTheme.Rule, 0.5), PdfTheme.MarginLeft, y, PdfTheme.PageWidth - PdfTheme.MarginRight, y);
            var left = TextWrapper.Ellipsize(gfx, ReportInfo.Creator + " · " + r.Model.Name + " · " + r.Title, font, PdfTheme.ContentWidth - 90);
            gfx.DrawString(left, font, brush, new XPoint(PdfTheme.MarginLeft, y + 5), XStringFormats.TopLeft);
            var page = string.Create(CultureInfo.InvariantCulture, $"page {i + 1} of {n}");
            gfx.DrawString(page, font, brush, new XPoint(PdfTheme.PageWidth - PdfTheme.MarginRight - gfx.MeasureString(page, font).Width, y + 5), XStringFormats.TopLeft);
        }
    }
}
