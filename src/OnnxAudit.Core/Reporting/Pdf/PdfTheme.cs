using OnnxAudit.Reporting.Model;
using PdfSharp.Drawing;

namespace OnnxAudit.Reporting.Pdf;

/// <summary>Page geometry, fonts and colours of the PDF report (points; A4 = 595.28 × 841.89).</summary>
internal static class PdfTheme
{
    public const double PageWidth = 595.28;
    public const double PageHeight = 841.89;
    public const double MarginLeft = 56;
    public const double MarginRight = 56;
    public const double MarginTop = 62;
    public const double MarginBottom = 62;
    public const double ContentWidth = PageWidth - MarginLeft - MarginRight;
    public const double ContentBottom = PageHeight - MarginBottom;

    public const string Family = "DejaVu Sans";
    public const double BodySize = 9.5;
    public const double SmallSize = 7.5;
    public const double LineFactor = 1.35;
    public const double BlockGap = 9;

    public static readonly XColor Text = XColor.FromArgb(0x22, 0x2B, 0x33);
    public static readonly XColor Muted = XColor.FromArgb(0x6B, 0x75, 0x7F);
    public static readonly XColor Rule = XColor.FromArgb(0xC8, 0xCE, 0xD3);
    public static readonly XColor HeaderFill = XColor.FromArgb(0xE4, 0xE8, 0xEC);
    public static readonly XColor StripeFill = XColor.FromArgb(0xF6, 0xF7, 0xF9);
    public static readonly XColor Accent = XColor.FromArgb(0x1F, 0x3A, 0x5F);
    public static readonly XColor InfoFill = XColor.FromArgb(0xE8, 0xF1, 0xFB);
    public static readonly XColor InfoBar = XColor.FromArgb(0x2E, 0x86, 0xC1);
    public static readonly XColor WarnFill = XColor.FromArgb(0xFD, 0xF3, 0xE1);
    public static readonly XColor WarnBar = XColor.FromArgb(0xE6, 0x7E, 0x22);

    /// <summary>Series colours by position (repeats after eight).</summary>
    public static readonly XColor[] Palette =
    [
        XColor.FromArgb(0x1F, 0x77, 0xB4), XColor.FromArgb(0xFF, 0x7F, 0x0E), XColor.FromArgb(0x2C, 0xA0, 0x2C),
        XColor.FromArgb(0xD6, 0x27, 0x28), XColor.FromArgb(0x94, 0x67, 0xBD), XColor.FromArgb(0x8C, 0x56, 0x4B),
        XColor.FromArgb(0xE3, 0x77, 0xC2), XColor.FromArgb(0x7F, 0x7F, 0x7F),
    ];

    /// <summary>A report colour as a PDFsharp colour.</summary>
    public static XColor ToX(this ReportColor c) => XColor.FromArgb(c.R, c.G, c.B);
}
