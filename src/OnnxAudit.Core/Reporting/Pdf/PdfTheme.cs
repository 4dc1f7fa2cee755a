using OnnxAudit.Reporting.Model;
using SkiaSharp;

namespace OnnxAudit.Reporting.Pdf;

/// <summary>Page geometry, fonts and colours of the PDF report (points; A4 = 595.28 × 841.89).</summary>
internal static class PdfTheme
{
    public const float PageWidth = 595.28f;
    public const float PageHeight = 841.89f;
    public const float MarginLeft = 56;
    public const float MarginRight = 56;
    public const float MarginTop = 62;
    public const float MarginBottom = 62;
    public const float ContentWidth = PageWidth - MarginLeft - MarginRight;
    public const float ContentBottom = PageHeight - MarginBottom;

    public const float BodySize = 9.5f;
    public const float SmallSize = 7.5f;
    public const float LineFactor = 1.35f;
    public const float BlockGap = 9;

    public static readonly SKColor Text = new(0x22, 0x2B, 0x33);
    public static readonly SKColor Muted = new(0x6B, 0x75, 0x7F);
    public static readonly SKColor Rule = new(0xC8, 0xCE, 0xD3);
    public static readonly SKColor HeaderFill = new(0xE4, 0xE8, 0xEC);
    public static readonly SKColor StripeFill = new(0xF6, 0xF7, 0xF9);
    public static readonly SKColor Accent = new(0x1F, 0x3A, 0x5F);
    public static readonly SKColor InfoFill = new(0xE8, 0xF1, 0xFB);
    public static readonly SKColor InfoBar = new(0x2E, 0x86, 0xC1);
    public static readonly SKColor WarnFill = new(0xFD, 0xF3, 0xE1);
    public static readonly SKColor WarnBar = new(0xE6, 0x7E, 0x22);

    /// <summary>A report colour as a Skia colour.</summary>
    public static SKColor ToSk(this ReportColor c) => new(c.R, c.G, c.B);
}
