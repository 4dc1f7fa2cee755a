using System.Diagnostics;

namespace OnnxAudit.Tests.Reporting;

/// <summary>Runs poppler-utils (pdftotext, pdfimages, pdfinfo) and returns stdout.</summary>
internal static class Poppler
{
    public static string Run(string tool, params string[] args)
    {
        var psi = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi) ?? throw new InvalidOperationException("cannot start " + tool);
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(60_000)) { p.Kill(); throw new TimeoutException(tool); }
        if (p.ExitCode != 0) throw new InvalidOperationException($"{tool} exited {p.ExitCode}: {stderr.Result}");
        return stdout.Result;
    }

    public static string Text(string pdf) => Run("pdftotext", "-layout", pdf, "-");
    public static string PageText(string pdf, int page) => Run("pdftotext", "-layout", "-f", page.ToString(), "-l", page.ToString(), pdf, "-");
    public static int PageCount(string pdf) =>
        int.Parse(Run("pdfinfo", pdf).Split('\n').First(l => l.StartsWith("Pages:", StringComparison.Ordinal))["Pages:".Length..].Trim());
}
