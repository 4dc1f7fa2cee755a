using System.Globalization;
using OnnxAudit.Reporting.Model;
using OnnxAudit.Reporting.Pdf;
using SkiaSharp;

namespace OnnxAudit.Reporting;

/// <summary>
/// Renders report.pdf with SkiaSharp's PDF backend: A4 cover (title, model identity, executive summary with coloured
/// verdict badges, recommended actions), contents with page numbers whose entries link to their pages, one section per
/// <see cref="ReportSection"/> (each starting on a new page), methodology with references, reproducibility and timing,
/// "page N of M" footers, outline bookmarks and PDF/A-2b document metadata (title, subject, keywords with the model's
/// SHA-256). Fonts are DejaVu Sans (system or embedded), subset-embedded by Skia; charts are ScottPlot vector drawings.
/// Stateless; safe to call from several threads.
/// </summary>
internal sealed class PdfReportRenderer : IReportRenderer
{
    private const float TocLine = 17;
    private const float H1Size = 15;

    /// <inheritdoc/>
    public string FileName => "report.pdf";

    /// <inheritdoc/>
    public void Render(AuditReport report, Stream output)
    {
        using var fonts = new PdfFonts(CodePoints(report));
        using var c = new PdfCanvas(fonts);
        c.NewPage();
        Destination(c, "cover", 0);
        DrawCover(c, report);

        // Table of contents: reserve its pages now, fill them once section pages are known.
        List<(string Number, string Title)> entries =
        [
            .. report.Sections.Select((s, i) => ((i + 1).ToString(CultureInfo.InvariantCulture) + ".", s.Title)),
            ("", "Methodology"),
            ("", "Reproducibility"),
        ];
        var perPage = (int)Math.Floor((PdfTheme.ContentBottom - PdfTheme.MarginTop - 40) / TocLine);
        var tocPages = new List<int>();
        for (var i = 0; i < Math.Max(1, (entries.Count + perPage - 1) / perPage); i++) tocPages.Add(c.ReservePage());

        var starts = new List<int>();
        for (var i = 0; i < report.Sections.Count; i++)
        {
            var s = report.Sections[i];
            c.NewPage();
            Heading(c, (i + 1).ToString(CultureInfo.InvariantCulture) + ".  " + s.Title, EntryDest(starts.Count));
            starts.Add(c.PageNumber);
            foreach (var b in s.Blocks) DrawBlock(c, b);
        }
        c.NewPage();
        Heading(c, "Methodology", EntryDest(starts.Count));
        starts.Add(c.PageNumber);
        DrawMethodology(c, report.Methodology);
        c.Y += 10;
        c.EnsureSpace(80);
        Heading(c, "Reproducibility", EntryDest(starts.Count));
        starts.Add(c.PageNumber);
        DrawReproducibility(c, report);

        var pages = c.Finish();
        // why: start from Default; a bare struct has EncodingQuality 0, which makes Skia store images as JPEG
        // quality 0. 101 (the default) keeps images lossless: reconstructions are evidence.
        var metadata = SKDocumentPdfMetadata.Default with
        {
            Title = report.Title,
            Author = "OnnxAudit",
            Subject = $"Data-leakage audit of ONNX model {report.Model.Name} (SHA-256 {report.Model.Sha256})",
            Keywords = string.Join(", ", new[] { "ONNX", "privacy audit", "data leakage", report.Model.Name, "SHA-256 " + report.Model.Sha256 }
                .Concat(report.ExecutiveSummary.Select(v => v.Threat))),
            Creator = ReportInfo.Creator,
            Producer = ReportInfo.Creator + " (SkiaSharp PDF)",
            // why: fixed dates (the audit's start) keep the document identical apart from its timing section.
            Creation = report.Timing.Started.UtcDateTime,
            Modified = report.Timing.Started.UtcDateTime,
            PdfA = true,
            RasterDpi = 300,
            EncodingQuality = SKDocumentPdfMetadata.DefaultEncodingQuality,
        };
        using var pdf = new MemoryStream();
        using (var doc = SKDocument.CreatePdf(pdf, metadata)
            ?? throw new InvalidOperationException("SkiaSharp could not create a PDF document."))
        {
            for (var i = 0; i < pages.Count; i++)
            {
                var canvas = doc.BeginPage(PdfTheme.PageWidth, PdfTheme.PageHeight);
                if (pages[i] is { } picture) canvas.DrawPicture(picture);
                var toc = tocPages.IndexOf(i + 1);
                if (toc >= 0) DrawToc(canvas, fonts, toc, entries, starts, perPage);
                DrawFooter(canvas, fonts, report, i + 1, pages.Count);
                doc.EndPage();
            }
            doc.Close();
        }

        var outline = new List<PdfOutline.Item> { new("Summary", "cover"), new("Contents", "contents-0") };
        outline.AddRange(entries.Select((e, i) => new PdfOutline.Item((e.Number + " " + e.Title).Trim(), EntryDest(i))));
        var bytes = PdfOutline.Append(pdf.ToArray(), outline);
        output.Write(bytes);
    }

    /// <summary>
    /// Every code point the document can show: printable ASCII, the renderer's own symbols and every character of
    /// every string in the report (read back from its JSON form, so no text is missed).
    /// </summary>
    private static HashSet<int> CodePoints(AuditReport report)
    {
        var set = new HashSet<int>(Enumerable.Range(0x20, 0x5F));
        void Add(string s)
        {
            for (var i = 0; i < s.Length; i += char.IsSurrogatePair(s, i) ? 2 : 1) set.Add(char.ConvertToUtf32(s, i));
        }
        Add("·•…–—−≥≤×→←✓✗");
        using var json = new MemoryStream();
        new JsonReportRenderer().Render(report, json);
        json.Position = 0;
        using var doc = System.Text.Json.JsonDocument.Parse(json);
        var stack = new Stack<System.Text.Json.JsonElement>([doc.RootElement]);
        while (stack.Count > 0)
        {
            var e = stack.Pop();
            switch (e.ValueKind)
            {
                case System.Text.Json.JsonValueKind.String: Add(e.GetString()!); break;
                case System.Text.Json.JsonValueKind.Object: foreach (var p in e.EnumerateObject()) { Add(p.Name); stack.Push(p.Value); } break;
                case System.Text.Json.JsonValueKind.Array: foreach (var x in e.EnumerateArray()) stack.Push(x); break;
                default: break;
            }
        }
        return set;
    }

    private static string EntryDest(int index) => string.Create(CultureInfo.InvariantCulture, $"entry-{index}");

    /// <summary>A named destination at the cursor (a little above it, so the heading is in view).</summary>
    private static void Destination(PdfCanvas c, string name, float above = 6) =>
        c.Canvas.DrawNamedDestinationAnnotation(new SKPoint(0, Math.Max(0, c.Y - above)), name).Dispose();

    // ---------------------------------------------------------------- cover

    private static void DrawCover(PdfCanvas c, AuditReport r)
    {
        var canvas = c.Canvas;
        var f = c.Fonts;
        var titleFont = f.Get(21, true);
        var titleLines = TextWrapper.Wrap(r.Title, titleFont, PdfTheme.ContentWidth);
        var bandH = 58 + titleLines.Count * 28;
        PdfCanvas.Fill(canvas, PdfTheme.Accent, 0, 0, PdfTheme.PageWidth, bandH);
        PdfCanvas.Text(canvas, "ONNXAUDIT · DATA-LEAKAGE AUDIT", f.Get(8, true), new SKColor(0xB5, 0xC7, 0xDB), PdfTheme.MarginLeft, 26);
        var y = 42f;
        foreach (var l in titleLines)
        {
            PdfCanvas.DrawLine(canvas, l, PdfTheme.MarginLeft, y, SKColors.White);
            y += 28;
        }
        c.Y = bandH + 22;

        SubHeading(c, "Model");
        DrawKeyValues(c, r.Model.ToRows(), keyShare: 0.22f);
        c.Y += 12;

        SubHeading(c, "Executive summary");
        var highest = r.HighestSeverity();
        DrawBadgeLine(c, highest, "Highest severity found: ");
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
                c.DrawLines(TextWrapper.Wrap(v.Threat, f.BodyBold, PdfTheme.ContentWidth), PdfTheme.MarginLeft,
                    PdfFonts.LineHeight(PdfTheme.BodySize), PdfTheme.Text);
                foreach (var a in v.Actions) Bullet(c, a);
                c.Y += 3;
            }
        }
    }

    private static void DrawBadgeLine(PdfCanvas c, Severity s, string label)
    {
        c.EnsureSpace(20);
        PdfCanvas.Text(c.Canvas, label, c.Fonts.BodyBold, PdfTheme.Text, PdfTheme.MarginLeft, c.Y + 2);
        var x = PdfTheme.MarginLeft + PdfFonts.Measure(label, c.Fonts.BodyBold) + 4;
        Badge(c.Canvas, c.Fonts, s, x, c.Y, 84);
        c.Y += 20;
    }

    private static void Badge(SKCanvas canvas, PdfFonts f, Severity s, float x, float y, float w)
    {
        using var paint = new SKPaint { Color = s.Color().ToSk(), IsAntialias = true };
        canvas.DrawRoundRect(new SKRect(x, y, x + w, y + 15), 6, 6, paint);
        PdfCanvas.TextInBox(canvas, s.Label(), f.Get(7.5f, true), SKColors.White, x, y, w, 15, ColumnAlignment.Center);
    }

    private static void DrawVerdict(PdfCanvas c, ThreatVerdict v)
    {
        const float badgeW = 84;
        var textX = PdfTheme.MarginLeft + badgeW + 10;
        var textW = PdfTheme.ContentWidth - badgeW - 10;
        var lh = PdfFonts.LineHeight(PdfTheme.BodySize);
        var runs = new List<(string, SKFont)> { (v.Threat, c.Fonts.BodyBold), ("\n", c.Fonts.Body), (v.Evidence, c.Fonts.Body) };
        // why: a quick verdict must say it is provisional beside the verdict itself, on page 1 (issue 13).
        if (v.Provisional)
            runs.AddRange([("\n", c.Fonts.Body), ("Provisional (quick run): ", c.Fonts.BodyBold), ($"budget: {v.QuickBudget}. A full run adds: {v.FullRunAdds}.", c.Fonts.Body)]);
        var lines = TextWrapper.Wrap(runs, textW);
        var h = Math.Max(v.Provisional ? 34 : 18, lines.Count * lh) + 8;
        c.EnsureSpace(h);
        var canvas = c.Canvas;
        PdfCanvas.Fill(canvas, v.Severity.Color().Tint(0.9).ToSk(), PdfTheme.MarginLeft - 4, c.Y - 3, PdfTheme.ContentWidth + 8, h);
        Badge(canvas, c.Fonts, v.Severity, PdfTheme.MarginLeft, c.Y, badgeW);
        if (v.Provisional)
            PdfCanvas.TextInBox(canvas, "PROVISIONAL", c.Fonts.Get(7f, true), v.Severity.Color().ToSk(), PdfTheme.MarginLeft, c.Y + 17, badgeW, 12, ColumnAlignment.Center);
        var y = c.Y;
        foreach (var l in lines) { PdfCanvas.DrawLine(canvas, l, textX, y, PdfTheme.Text); y += lh; }
        c.Y += h + 3;
    }

    // ---------------------------------------------------------------- headings, text

    private static void Heading(PdfCanvas c, string text, string destination)
    {
        var font = c.Fonts.Get(H1Size, true);
        c.EnsureSpace(90);
        Destination(c, destination);
        var lines = TextWrapper.Wrap(text, font, PdfTheme.ContentWidth);
        c.DrawLines(lines, PdfTheme.MarginLeft, PdfFonts.LineHeight(H1Size), PdfTheme.Accent);
        PdfCanvas.Line(c.Canvas, PdfTheme.Accent, 1.2f, PdfTheme.MarginLeft, c.Y + 1, PdfTheme.MarginLeft + PdfTheme.ContentWidth, c.Y + 1);
        c.Y += 12;
    }

    private static void SubHeading(PdfCanvas c, string text)
    {
        c.EnsureSpace(60);
        var font = c.Fonts.Get(12, true);
        c.DrawLines(TextWrapper.Wrap(text, font, PdfTheme.ContentWidth), PdfTheme.MarginLeft, PdfFonts.LineHeight(12), PdfTheme.Accent);
        c.Y += 3;
    }

    private static void Caption(PdfCanvas c, string? caption)
    {
        if (string.IsNullOrEmpty(caption)) return;
        c.DrawLines(TextWrapper.Wrap(caption, c.Fonts.BodyBold, PdfTheme.ContentWidth), PdfTheme.MarginLeft,
            PdfFonts.LineHeight(PdfTheme.BodySize), PdfTheme.Text);
        c.Y += 2;
    }

    private static void Bullet(PdfCanvas c, string text)
    {
        var lh = PdfFonts.LineHeight(PdfTheme.BodySize);
        var lines = TextWrapper.Wrap(text, c.Fonts.Body, PdfTheme.ContentWidth - 14);
        c.EnsureSpace(lh);
        PdfCanvas.Text(c.Canvas, "•", c.Fonts.Body, PdfTheme.Text, PdfTheme.MarginLeft + 3, c.Y);
        c.DrawLines(lines, PdfTheme.MarginLeft + 14, lh, PdfTheme.Text);
    }

    private static void Paragraph(PdfCanvas c, IEnumerable<(string, SKFont)> runs)
    {
        var lines = TextWrapper.Wrap(runs, PdfTheme.ContentWidth);
        c.DrawLines(lines, PdfTheme.MarginLeft, PdfFonts.LineHeight(PdfTheme.BodySize), PdfTheme.Text);
    }

    // ---------------------------------------------------------------- blocks

    private static void DrawBlock(PdfCanvas c, ReportBlock block)
    {
        switch (block)
        {
            case ParagraphBlock p:
                Paragraph(c, p.Runs.Select(r => (r.Text, r.Bold ? c.Fonts.BodyBold : c.Fonts.Body)));
                break;
            case KeyValueBlock kv:
                c.EnsureSpace(40);
                Caption(c, kv.Caption);
                DrawKeyValues(c, kv.Items, keyShare: 0.32f);
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
                c.EnsureSpace(ReportChart.PdfHeight);
                ReportChart.Draw(c.Canvas, ch, PdfTheme.MarginLeft, c.Y, PdfTheme.ContentWidth, c.Fonts.Family);
                c.Y += ReportChart.PdfHeight;
                break;
            case ImageGridBlock g:
                DrawImageGrid(c, g);
                break;
            default:
                throw new NotSupportedException($"Block type {block.GetType().Name} has no PDF form.");
        }
        c.Y += PdfTheme.BlockGap;
    }

    private sealed record GridCell(string Text, SKFont Font, SKColor? Fill, ColumnAlignment Align);

    /// <summary>Draws rows of wrapped cells; rows never split; on a page break the header row (if any) is repeated.</summary>
    private static void DrawGrid(PdfCanvas c, float[] widths, IReadOnlyList<GridCell>? header, IEnumerable<IReadOnlyList<GridCell>> rows, bool stripes)
    {
        const float pad = 3.5f;
        var lh = PdfFonts.LineHeight(PdfTheme.BodySize) * 0.95f;
        var total = widths.Sum();

        (List<PdfTextLine>[] Lines, float Height) Measure(IReadOnlyList<GridCell> row)
        {
            var lines = row.Select((cell, i) => TextWrapper.Wrap(cell.Text, cell.Font, widths[i] - 2 * pad)).ToArray();
            return (lines, lines.Max(l => l.Count) * lh + 2 * pad);
        }

        void DrawRow(IReadOnlyList<GridCell> row, (List<PdfTextLine>[] Lines, float Height) m, SKColor? rowFill)
        {
            var x = PdfTheme.MarginLeft;
            for (var i = 0; i < row.Count; i++)
            {
                var fill = row[i].Fill ?? rowFill;
                if (fill is { } fc) PdfCanvas.Fill(c.Canvas, fc, x, c.Y, widths[i], m.Height);
                var y = c.Y + pad;
                foreach (var l in m.Lines[i])
                {
                    PdfCanvas.DrawLine(c.Canvas, l, x + pad, y, PdfTheme.Text, widths[i] - 2 * pad, row[i].Align);
                    y += lh;
                }
                x += widths[i];
            }
            PdfCanvas.Line(c.Canvas, PdfTheme.Rule, 0.5f, PdfTheme.MarginLeft, c.Y + m.Height, PdfTheme.MarginLeft + total, c.Y + m.Height);
            c.Y += m.Height;
        }

        var headerM = header is null ? default : Measure(header);
        void DrawHeader()
        {
            if (header is null) return;
            DrawRow(header, headerM, PdfTheme.HeaderFill);
            PdfCanvas.Line(c.Canvas, PdfTheme.Muted, 0.8f, PdfTheme.MarginLeft, c.Y, PdfTheme.MarginLeft + total, c.Y);
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

    private static void DrawKeyValues(PdfCanvas c, IReadOnlyList<KeyValue> items, float keyShare)
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
        var shownRows = t.PdfMaxRows is { } max && t.Rows.Count > max ? t.Rows.Take(max).ToList() : t.Rows;
        var total = t.Columns.Sum(col => col.RelativeWidth);
        var widths = t.Columns.Select(col => (float)(PdfTheme.ContentWidth * col.RelativeWidth / total)).ToArray();
        FitColumns(widths, t, c.Fonts);
        var header = t.Columns.Select(col => new GridCell(col.Header, c.Fonts.BodyBold, null, col.Alignment)).ToArray();
        DrawGrid(c, widths, header, shownRows.Select(row => (IReadOnlyList<GridCell>)row.Select((cell, i) =>
            new GridCell(cell.Text, c.Fonts.Body, cell.Severity is { } s ? s.Color().Tint(0.72).ToSk() : null, t.Columns[i].Alignment)).ToArray()),
            stripes: true);
        if (shownRows.Count < t.Rows.Count)
        {
            c.Y += 2;
            DrawNote(c, new NoteBlock(string.Create(CultureInfo.InvariantCulture,
                $"The PDF shows the first {shownRows.Count} of {t.Rows.Count} rows; report.html and report.json have all {t.Rows.Count}."), NoteKind.Info));
        }
    }

    // why: a column narrower than its widest unbreakable piece ("Convolution", "Relu_output_") breaks words mid-token;
    // widen such columns, taking the room from columns with slack in proportion to it (issue 13).
    private static void FitColumns(float[] widths, TableBlock t, PdfFonts fonts)
    {
        const float pad = 8;
        var need = new float[widths.Length];
        for (var i = 0; i < widths.Length; i++)
        {
            need[i] = TextWrapper.WidestPiece(t.Columns[i].Header, fonts.BodyBold) + pad + 1;
            foreach (var row in t.Rows) need[i] = Math.Max(need[i], TextWrapper.WidestPiece(row[i].Text, fonts.Body) + pad + 1);
        }
        if (need.Sum() > widths.Sum())
        {
            // why: issue 13 (mobilenet_v3_small layer table: "Normalizat/ion", "Convolutio/n"): when not every piece fits,
            // the narrow columns (kind, op, numbers) still get their widest word, and the widest columns share the rest
            // and break at token boundaries.
            var total = widths.Sum();
            var open = Enumerable.Range(0, widths.Length).OrderBy(i => need[i]).ToList();
            var remaining = total;
            while (open.Count > 0 && need[open[0]] <= remaining / open.Count)
            {
                widths[open[0]] = need[open[0]];
                remaining -= need[open[0]];
                open.RemoveAt(0);
            }
            var share = open.Sum(i => need[i]);
            foreach (var i in open) widths[i] = remaining * need[i] / share;
            return;
        }
        for (var iter = 0; iter < widths.Length; iter++)
        {
            var deficit = 0f;
            for (var i = 0; i < widths.Length; i++) if (widths[i] < need[i]) { deficit += need[i] - widths[i]; widths[i] = need[i]; }
            if (deficit <= 0) return;
            var slack = widths.Select((w, i) => Math.Max(0, w - need[i])).ToArray();
            var total = slack.Sum();
            if (total <= 0) return;
            for (var i = 0; i < widths.Length; i++) widths[i] -= deficit * slack[i] / total;
        }
    }

    private static void DrawFinding(PdfCanvas c, FindingBlock f)
    {
        const float badgeW = 72, inset = 10;
        var lh = PdfFonts.LineHeight(PdfTheme.BodySize);
        var textW = PdfTheme.ContentWidth - 2 * inset;
        var titleLines = TextWrapper.Wrap(f.Title, c.Fonts.Get(10, true), textW - badgeW - 8);
        var body = TextWrapper.Wrap(
        [
            ("Evidence: ", c.Fonts.BodyBold), (f.Evidence, c.Fonts.Body), ("\n", c.Fonts.Body),
            ("Recommendation: ", c.Fonts.BodyBold), (f.Recommendation, c.Fonts.Body), ("\n", c.Fonts.Body),
        ], textW);
        var rule = TextWrapper.Wrap("Rule: " + f.Rule, c.Fonts.Small, textW);
        var titleH = Math.Max(17, titleLines.Count * PdfFonts.LineHeight(10));
        var h = 8 + titleH + 4 + body.Count * lh + rule.Count * PdfFonts.LineHeight(PdfTheme.SmallSize) + 8;
        c.EnsureSpace(h);
        var canvas = c.Canvas;
        var x0 = PdfTheme.MarginLeft;
        var color = f.Severity.Color();
        PdfCanvas.Fill(canvas, color.Tint(0.93).ToSk(), x0, c.Y, PdfTheme.ContentWidth, h);
        PdfCanvas.Stroke(canvas, color.Tint(0.5).ToSk(), 0.6f, x0, c.Y, PdfTheme.ContentWidth, h);
        PdfCanvas.Fill(canvas, color.ToSk(), x0, c.Y, 4, h);
        var y = c.Y + 8;
        Badge(canvas, c.Fonts, f.Severity, x0 + inset, y, badgeW);
        var ty = y + 1;
        foreach (var l in titleLines) { PdfCanvas.DrawLine(canvas, l, x0 + inset + badgeW + 8, ty, PdfTheme.Text); ty += PdfFonts.LineHeight(10); }
        y += titleH + 4;
        foreach (var l in body) { PdfCanvas.DrawLine(canvas, l, x0 + inset, y, PdfTheme.Text); y += lh; }
        foreach (var l in rule) { PdfCanvas.DrawLine(canvas, l, x0 + inset, y, PdfTheme.Muted); y += PdfFonts.LineHeight(PdfTheme.SmallSize); }
        c.Y += h;
    }

    private static void DrawNote(PdfCanvas c, NoteBlock n)
    {
        const float inset = 10;
        var lh = PdfFonts.LineHeight(PdfTheme.BodySize);
        var label = n.Kind == NoteKind.Warning ? "Warning: " : "Note: ";
        var lines = TextWrapper.Wrap([(label, c.Fonts.BodyBold), (n.Text, c.Fonts.Body)], PdfTheme.ContentWidth - 2 * inset);
        var h = lines.Count * lh + 12;
        if (h <= PdfTheme.ContentBottom - PdfTheme.MarginTop) c.EnsureSpace(h);
        var fill = n.Kind == NoteKind.Warning ? PdfTheme.WarnFill : PdfTheme.InfoFill;
        var bar = n.Kind == NoteKind.Warning ? PdfTheme.WarnBar : PdfTheme.InfoBar;
        var visible = Math.Min(h, c.Remaining);
        PdfCanvas.Fill(c.Canvas, fill, PdfTheme.MarginLeft, c.Y, PdfTheme.ContentWidth, visible);
        PdfCanvas.Fill(c.Canvas, bar, PdfTheme.MarginLeft, c.Y, 3, visible);
        c.Y += 6;
        c.DrawLines(lines, PdfTheme.MarginLeft + inset, lh, PdfTheme.Text);
        c.Y += 6;
    }

    private static void DrawImageGrid(PdfCanvas c, ImageGridBlock g)
    {
        const float labelW = 78, gap = 6;
        var n = Math.Max(1, g.ColumnCount);
        var cell = Math.Min(78, (PdfTheme.ContentWidth - labelW - gap * (n - 1)) / n);
        var headFont = c.Fonts.SmallBold;
        var capFont = c.Fonts.Get(6.5f);
        var capH = PdfFonts.LineHeight(6.5f);
        var lh = PdfFonts.LineHeight(PdfTheme.SmallSize);
        // why: pixels are data (reconstructions); nearest-neighbour keeps each pixel a visible square, as in the PNGs.
        var sampling = new SKSamplingOptions(SKFilterMode.Nearest);

        void ColumnHeaders()
        {
            if (g.ColumnLabels.Count == 0) return;
            for (var i = 0; i < g.ColumnLabels.Count; i++)
            {
                var x = PdfTheme.MarginLeft + labelW + i * (cell + gap);
                var label = TextWrapper.Ellipsize(g.ColumnLabels[i], headFont, cell + gap - 1);
                PdfCanvas.TextInBox(c.Canvas, label, headFont, PdfTheme.Text, x - gap / 2, c.Y, cell + gap, lh, ColumnAlignment.Center);
            }
            c.Y += lh + 2;
        }

        var firstRowH = cell + (g.Rows.Count > 0 && g.Rows[0].Images.Any(i => i.Caption is not null) ? capH + 2 : 0) + gap;
        // why: a figure and its caption stay on one page when they fit on one (issue 13: grids were split across pages).
        var total = (g.ColumnLabels.Count > 0 ? lh + 2 : 0)
            + g.Rows.Sum(r => cell + (r.Images.Any(i => i.Caption is not null) ? capH + 2 : 0) + gap)
            + (string.IsNullOrEmpty(g.Caption) ? 0 : TextWrapper.Wrap(g.Caption, c.Fonts.Small, PdfTheme.ContentWidth).Count * lh);
        if (total <= PdfTheme.ContentBottom - PdfTheme.MarginTop) c.EnsureSpace(total);
        c.EnsureSpace(lh + 2 + firstRowH);
        ColumnHeaders();
        foreach (var row in g.Rows)
        {
            var hasCap = row.Images.Any(i => i.Caption is not null);
            var rowH = cell + (hasCap ? capH + 2 : 0) + gap;
            if (c.EnsureSpace(rowH)) ColumnHeaders();
            var labelLines = TextWrapper.Wrap(row.Label, c.Fonts.SmallBold, labelW - 6);
            var ly = c.Y + (cell - labelLines.Count * lh) / 2;
            foreach (var l in labelLines) { PdfCanvas.DrawLine(c.Canvas, l, PdfTheme.MarginLeft, ly, PdfTheme.Text); ly += lh; }
            for (var i = 0; i < row.Images.Count; i++)
            {
                var x = PdfTheme.MarginLeft + labelW + i * (cell + gap);
                using var data = SKData.CreateCopy(row.Images[i].Png);
                using var img = SKImage.FromEncodedData(data)
                    ?? throw new InvalidOperationException($"An image in row '{row.Label}' of '{g.Caption}' cannot be decoded as PNG.");
                var scale = Math.Min(cell / img.Width, cell / img.Height);
                var w = img.Width * scale;
                var h = img.Height * scale;
                var rect = SKRect.Create(x + (cell - w) / 2, c.Y + (cell - h) / 2, w, h);
                c.Canvas.DrawImage(img, rect, sampling);
                PdfCanvas.Stroke(c.Canvas, PdfTheme.Rule, 0.4f, rect.Left, rect.Top, w, h);
                if (row.Images[i].Caption is { } cap)
                    PdfCanvas.TextInBox(c.Canvas, TextWrapper.Ellipsize(cap, capFont, cell + gap - 1), capFont, PdfTheme.Muted,
                        x - gap / 2, c.Y + cell + 1, cell + gap, capH, ColumnAlignment.Center);
            }
            c.Y += rowH;
        }
        if (!string.IsNullOrEmpty(g.Caption))
            c.DrawLines(TextWrapper.Wrap(g.Caption, c.Fonts.Small, PdfTheme.ContentWidth), PdfTheme.MarginLeft, lh, PdfTheme.Muted);
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
            var runs = new List<(string, SKFont)> { (r.Text, c.Fonts.Body) };
            if (r.Url is not null) runs.Add((" " + r.Url, c.Fonts.Body));
            var lines = TextWrapper.Wrap(runs, PdfTheme.ContentWidth - 60);
            c.EnsureSpace(lh * Math.Min(2, lines.Count));
            PdfCanvas.Text(c.Canvas, key, c.Fonts.BodyBold, PdfTheme.Text, PdfTheme.MarginLeft, c.Y);
            c.DrawLines(lines, PdfTheme.MarginLeft + 60, lh, PdfTheme.Text);
            c.Y += 3;
        }
    }

    private static void DrawReproducibility(PdfCanvas c, AuditReport r)
    {
        DrawKeyValues(c, r.Reproducibility.Items, keyShare: 0.28f);
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
        DrawKeyValues(c, rows, keyShare: 0.28f);
        c.Y += 4;
        c.DrawLines(TextWrapper.Wrap("Timing varies between runs and is excluded from determinism comparisons (JSON: the top-level \"timing\" object).",
            c.Fonts.Small, PdfTheme.ContentWidth), PdfTheme.MarginLeft, PdfFonts.LineHeight(PdfTheme.SmallSize), PdfTheme.Muted);
    }

    private static string FormatDuration(TimeSpan t) =>
        t.TotalSeconds < 60
            ? t.TotalSeconds.ToString("0.00", CultureInfo.InvariantCulture) + " s"
            : $"{(int)t.TotalMinutes} min {t.Seconds.ToString("00", CultureInfo.InvariantCulture)} s";

    /// <summary>Draws contents page <paramref name="p"/> (0-based); every entry is a link to its section's destination.</summary>
    private static void DrawToc(SKCanvas canvas, PdfFonts f, int p, List<(string Number, string Title)> entries, List<int> starts, int perPage)
    {
        var y = PdfTheme.MarginTop;
        canvas.DrawNamedDestinationAnnotation(new SKPoint(0, y - 6), string.Create(CultureInfo.InvariantCulture, $"contents-{p}")).Dispose();
        PdfCanvas.Text(canvas, p == 0 ? "Contents" : "Contents (continued)", f.Get(H1Size, true), PdfTheme.Accent, PdfTheme.MarginLeft, y);
        y += PdfFonts.LineHeight(H1Size);
        PdfCanvas.Line(canvas, PdfTheme.Accent, 1.2f, PdfTheme.MarginLeft, y + 1, PdfTheme.MarginLeft + PdfTheme.ContentWidth, y + 1);
        y += 18;
        var font = f.Get(10.5f);
        foreach (var i in Enumerable.Range(p * perPage, Math.Min(perPage, entries.Count - p * perPage)))
        {
            var (num, title) = entries[i];
            var pageText = starts[i].ToString(CultureInfo.InvariantCulture);
            const float numW = 26;
            var pageW = PdfFonts.Measure(pageText, font);
            var maxTitle = PdfTheme.ContentWidth - numW - pageW - 24;
            var shown = TextWrapper.Ellipsize(title, font, maxTitle);
            PdfCanvas.Text(canvas, num, font, PdfTheme.Text, PdfTheme.MarginLeft, y);
            PdfCanvas.Text(canvas, shown, font, PdfTheme.Text, PdfTheme.MarginLeft + numW, y);
            var right = PdfTheme.MarginLeft + PdfTheme.ContentWidth;
            PdfCanvas.Text(canvas, pageText, font, PdfTheme.Text, right - pageW, y);
            // Dot leader between the title and the page number.
            var dotsFrom = PdfTheme.MarginLeft + numW + PdfFonts.Measure(shown, font) + 6;
            var dotsTo = right - pageW - 6;
            if (dotsTo > dotsFrom) PdfCanvas.Line(canvas, PdfTheme.Rule, 0.8f, dotsFrom, y + 9, dotsTo, y + 9, [0.8f, 1.6f]);
            canvas.DrawLinkDestinationAnnotation(new SKRect(PdfTheme.MarginLeft, y - 2, right, y + TocLine - 3), EntryDest(i)).Dispose();
            y += TocLine;
        }
    }

    private static void DrawFooter(SKCanvas canvas, PdfFonts f, AuditReport r, int page, int pages)
    {
        var font = f.Get(7.5f);
        var y = PdfTheme.PageHeight - 40;
        PdfCanvas.Line(canvas, PdfTheme.Rule, 0.5f, PdfTheme.MarginLeft, y, PdfTheme.PageWidth - PdfTheme.MarginRight, y);
        var left = TextWrapper.Ellipsize(ReportInfo.Creator + " · " + r.Model.Name + " · " + r.Title, font, PdfTheme.ContentWidth - 90);
        PdfCanvas.Text(canvas, left, font, PdfTheme.Muted, PdfTheme.MarginLeft, y + 5);
        var text = string.Create(CultureInfo.InvariantCulture, $"page {page} of {pages}");
        PdfCanvas.Text(canvas, text, font, PdfTheme.Muted, PdfTheme.PageWidth - PdfTheme.MarginRight - PdfFonts.Measure(text, font), y + 5);
    }
}
