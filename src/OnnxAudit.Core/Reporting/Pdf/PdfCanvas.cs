using OnnxAudit.Reporting.Model;
using SkiaSharp;

namespace OnnxAudit.Reporting.Pdf;

/// <summary>
/// A flowing cursor over the document: pages are recorded as <see cref="SKPicture"/>s (vector: text, paths, images,
/// annotations) so that pages drawn later (contents, "page N of M" footers) can be filled in once the page count is
/// known; <see cref="PdfReportRenderer"/> then plays them onto the PDF pages. Blocks ask for space; when it is missing
/// a new page starts. Owns the recorder and the recorded pictures and disposes them in <see cref="Dispose"/>.
/// </summary>
internal sealed class PdfCanvas : IDisposable
{
    private static readonly SKRect PageRect = new(0, 0, PdfTheme.PageWidth, PdfTheme.PageHeight);
    private readonly List<SKPicture?> _pages = [];
    private SKPictureRecorder? _recorder;
    private SKCanvas? _canvas;

    public PdfCanvas(PdfFonts fonts) => Fonts = fonts;

    public PdfFonts Fonts { get; }

    /// <summary>The current page's recording canvas.</summary>
    public SKCanvas Canvas => _canvas ?? throw new InvalidOperationException("No page started.");

    /// <summary>Y of the next thing to draw (points from the top edge).</summary>
    public float Y { get; set; }

    /// <summary>1-based number of the current page (reserved pages included).</summary>
    public int PageNumber => _pages.Count;

    /// <summary>Space left on the current page.</summary>
    public float Remaining => PdfTheme.ContentBottom - Y;

    /// <summary>Adds a page, makes it current and moves to its top margin.</summary>
    public void NewPage()
    {
        EndRecording();
        _recorder = new SKPictureRecorder();
        _canvas = _recorder.BeginRecording(PageRect);
        _pages.Add(null);
        Y = PdfTheme.MarginTop;
    }

    /// <summary>Appends an empty page drawn later (e.g. the table of contents); returns its 1-based number.</summary>
    public int ReservePage()
    {
        EndRecording();
        _pages.Add(null);
        return _pages.Count;
    }

    /// <summary>Ends the last recording and returns one picture per page (null for reserved pages); still owned here.</summary>
    public IReadOnlyList<SKPicture?> Finish()
    {
        EndRecording();
        return _pages;
    }

    /// <summary>Starts a new page unless <paramref name="height"/> points fit below the cursor (a fresh page always "fits").</summary>
    /// <returns>True when a page break happened.</returns>
    public bool EnsureSpace(float height)
    {
        if (Y + height <= PdfTheme.ContentBottom || Y <= PdfTheme.MarginTop + 0.5f) return false;
        NewPage();
        return true;
    }

    /// <summary>Draws wrapped lines from the cursor, breaking pages between lines; moves the cursor.</summary>
    public void DrawLines(IReadOnlyList<PdfTextLine> lines, float x, float lineHeight, SKColor color, float width = 0, ColumnAlignment align = ColumnAlignment.Left)
    {
        foreach (var line in lines)
        {
            EnsureSpace(lineHeight);
            DrawLine(Canvas, line, x, Y, color, width, align);
            Y += lineHeight;
        }
    }

    /// <summary>Draws one wrapped line with its top at <paramref name="y"/>.</summary>
    public static void DrawLine(SKCanvas canvas, PdfTextLine line, float x, float y, SKColor color, float width = 0, ColumnAlignment align = ColumnAlignment.Left)
    {
        var cx = align switch
        {
            ColumnAlignment.Right => x + width - line.Width,
            ColumnAlignment.Center => x + (width - line.Width) / 2,
            _ => x,
        };
        foreach (var (font, text) in line.Chunks)
        {
            Text(canvas, text, font, color, cx, y);
            cx += PdfFonts.Measure(text, font);
        }
    }

    /// <summary>Draws <paramref name="text"/> with the top of its line box at <paramref name="top"/>.</summary>
    public static void Text(SKCanvas canvas, string text, SKFont font, SKColor color, float x, float top)
    {
        using var paint = new SKPaint { Color = color, IsAntialias = true };
        canvas.DrawText(text, x, top - font.Metrics.Ascent, SKTextAlign.Left, font, paint);
    }

    /// <summary>Draws <paramref name="text"/> in the box (<paramref name="x"/>, <paramref name="top"/>, <paramref name="width"/>, <paramref name="height"/>): horizontally left, centred or right, vertically centred.</summary>
    public static void TextInBox(SKCanvas canvas, string text, SKFont font, SKColor color, float x, float top, float width, float height, ColumnAlignment align)
    {
        var m = font.Metrics;
        var w = PdfFonts.Measure(text, font);
        var tx = align switch { ColumnAlignment.Right => x + width - w, ColumnAlignment.Center => x + (width - w) / 2, _ => x };
        var baseline = top + (height - (m.Descent - m.Ascent)) / 2 - m.Ascent;
        using var paint = new SKPaint { Color = color, IsAntialias = true };
        canvas.DrawText(text, tx, baseline, SKTextAlign.Left, font, paint);
    }

    /// <summary>Fills a rectangle.</summary>
    public static void Fill(SKCanvas canvas, SKColor color, float x, float y, float w, float h)
    {
        using var paint = new SKPaint { Color = color, Style = SKPaintStyle.Fill };
        canvas.DrawRect(x, y, w, h, paint);
    }

    /// <summary>Strokes a line.</summary>
    public static void Line(SKCanvas canvas, SKColor color, float width, float x0, float y0, float x1, float y1, float[]? dash = null)
    {
        using var effect = dash is null ? null : SKPathEffect.CreateDash(dash, 0);
        using var paint = new SKPaint { Color = color, StrokeWidth = width, Style = SKPaintStyle.Stroke, IsAntialias = true, PathEffect = effect };
        canvas.DrawLine(x0, y0, x1, y1, paint);
    }

    /// <summary>Strokes a rectangle.</summary>
    public static void Stroke(SKCanvas canvas, SKColor color, float width, float x, float y, float w, float h)
    {
        using var paint = new SKPaint { Color = color, StrokeWidth = width, Style = SKPaintStyle.Stroke, IsAntialias = true };
        canvas.DrawRect(x, y, w, h, paint);
    }

    private void EndRecording()
    {
        if (_recorder is null) return;
        _pages[^1] = _recorder.EndRecording();
        _recorder.Dispose();
        _recorder = null;
        _canvas = null;
    }

    public void Dispose()
    {
        EndRecording();
        foreach (var p in _pages) p?.Dispose();
        _pages.Clear();
    }
}
