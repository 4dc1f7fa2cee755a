using System.Reflection;

namespace OnnxAudit.Reporting;

/// <summary>Facts about the tool written into every report.</summary>
internal static class ReportInfo
{
    /// <summary>The Core assembly's informational version without build metadata, e.g. "0.1.0".</summary>
    public static string ToolVersion { get; } = ReadVersion();

    /// <summary>"OnnxAudit 0.1.0" (PDF Creator, HTML generator).</summary>
    public static string Creator => "OnnxAudit " + ToolVersion;

    private static string ReadVersion()
    {
        var asm = typeof(ReportInfo).Assembly;
        var info = asm.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;
        if (string.IsNullOrEmpty(info)) return asm.GetName().Version?.ToString(3) ?? "0.0.0";
        var plus = info.IndexOf('+', StringComparison.Ordinal);
        return plus < 0 ? info : info[..plus];
    }
}
