using PdfSharp.Fonts;

namespace OnnxAudit.Reporting.Pdf;

/// <summary>One-time, thread-safe PDFsharp initialisation: AGPL license and the report font resolver.</summary>
internal static class PdfSharpSetup
{
    private static readonly Lock Gate = new();
    private static bool _done;

    /// <summary>The resolver installed in <see cref="GlobalFontSettings.FontResolver"/>, or null when another one was installed first.</summary>
    public static ReportFontResolver? Resolver { get; private set; }

    /// <summary>Calls <c>PdfSharpLicense.SetAgplLicense()</c> and installs <see cref="ReportFontResolver"/> once per process.</summary>
    public static void EnsureInitialized()
    {
        lock (Gate)
        {
            if (_done) return;
            // why: PDFsharp 6.5 is AGPL-3.0 or commercial; the project is AGPL-3.0 (DESIGN.md, PDF row).
            PdfSharp.PdfSharpLicense.SetAgplLicense();
            // why: GlobalFontSettings.FontResolver may only be set once, before any font is used; if a
            // host (e.g. the CLI) already set one, keep it rather than throw.
            if (GlobalFontSettings.FontResolver is null)
            {
                Resolver = new ReportFontResolver();
                GlobalFontSettings.FontResolver = Resolver;
            }
            _done = true;
        }
    }
}
