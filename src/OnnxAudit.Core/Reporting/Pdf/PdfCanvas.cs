using PdfSharp.Drawing;
using PdfSharp.Pdf;

namespace OnnxAudit.Reporting.Pdf;

/// <summary>
/// A flowing cursor over the document: the current page, its <see cref="XGraphics"/> and the y of the
/// next block. Blocks ask for space; when it is missing a new page starts. Owns the open graphics and
/// disposes it on page change and in <see cref="Dispose"/>.
/// </summary>
internal sealed class PdfCanvas : IDisposable
{
    private XGraphics? _gfx;

    public PdfCanvas(PdfDocument document)
    {
        Document = document;
        Fonts = new PdfFonts();
    }

    public PdfDocument Document { get; }
    public PdfFonts Fonts { get; }
    public PdfPage Page { get; private set; } = null!;
    public XGraphics Gfx => _gfx ?? throw new InvalidOperationException("No page started.");

    /// <summary>Y of the next thing to draw (points from the top edge).</summary>
    public double Y { get; set; }

    /// <summary>1-based number of the current page.</summary>
    public int PageNumber => Document.PageCount;

    /// <summary>Space left on the current page.</summary>
    public double Remaining => PdfTheme.ContentBottom - Y;

    /// <summary>Raised after each new page starts (e.g. to repeat a table header).</summary>
    public event Action? PageStarted;

    /// <summary>Adds a page, makes it current and moves to its top margin.</summary>
    public void NewPage()
    {
        _gfx?.Dispose();
        var page = Document.AddPage();
        page.Size = PdfSharp.PageSize.A4;
        Page = page;
        _gfx = XGraphics.FromPdfPage(page);
        Y = PdfTheme.MarginTop;
        PageStarted?.Invoke();
    }

    /// <summary>
    /// Appends an A4 page without opening graphics on it (drawn later, e.g. the table of contents).
    /// why: a page whose graphics is opened and disposed without drawing gets an empty deflate
    /// stream from PDFsharp 6.5 that poppler reports as "Bad block header in flate stream".
    /// </summary>
    public PdfPage ReservePage()
    {
        _gfx?.Dispose();
        _gfx = null;
        var page = Document.AddPage();
        page.Size = PdfSharp.PageSize.A4;
        return page;
    }

    /// <summary>Starts a new page unless <paramref name="height"/> points fit below the cursor (a fresh page always "fits").</summary>
    /// <returns>True when a page break happened.</returns>
    public bool EnsureSpace(double height)
    {
        if (Y + height <= PdfTheme.ContentBottom || Y <= PdfTheme.MarginTop + 0.5) return false;
        NewPage();
        return true;
    }

    /// <summary>Draws wrapped lines from the cursor, breaking pages between lines; moves the cursor.</summary>
    public void DrawLines(IReadOnlyList<PdfTextLine> lines, double x, double lineHeight, XColor color, double width = 0, Model.ColumnAlignment align = Model.ColumnAlignment.Left)
    {
        foreach (var line in lines)
        {
            EnsureSpace(lineHeight);
            DrawLine(Gfx, line, x, Y, color, width, align);
            Y += lineHeight;
        }
    }

    /// <summary>Draws one wrapped line with its top at <paramref name="y"/>.</summary>
    public static void DrawLine(XGraphics gfx, PdfTextLine line, double x, double y, XColor color, double width = 0, Model.ColumnAlignment align = Model.ColumnAlignment.Left)
    {
        var brush = new XSolidBrush(color);
        var cx = align switch
        {
            Model.ColumnAlignment.Right => x + width - line.Width,
            Model.ColumnAlignment.Center => x + (width - line.Width) / 2,
            _ => x,
        };
        foreach (var (font, text) in line.Chunks)
        {
            gfx.DrawString(text, font, brush, new XPoint(cx, y), XStringFormats.TopLeft);
            cx += gfx.MeasureString(text, font).Width;
        }
    }

    public void Dispose()
    {
        _gfx?.Dispose();
        _gfx = null;
    }
}
