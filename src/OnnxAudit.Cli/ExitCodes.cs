namespace OnnxAudit.Cli;

/// <summary>Process exit codes (documented in --help and README.md).</summary>
internal static class ExitCodes
{
    /// <summary>Success; for gating commands: no finding at or above the threshold (or the split point is safe).</summary>
    public const int Ok = 0;
    /// <summary>Gating commands: findings at or above --fail-on (or an unsafe split point with --at).</summary>
    public const int Findings = 1;
    /// <summary>Bad input: missing/invalid model or data, bad options. Nothing is written.</summary>
    public const int BadInput = 2;
    /// <summary>An unexpected internal error (a bug: please report it with the command line).</summary>
    public const int InternalError = 3;

    public const string HelpText =
        "Exit codes: 0 ok / no finding at or above --fail-on; 1 findings at or above --fail-on (report) or unsafe split point (split --at); 2 bad input (model, data or options; nothing is written); 3 internal error.";

    /// <summary>The exit code of a report for <c>--fail-on</c> (null = always <see cref="Ok"/>); writes the reason to stderr.</summary>
    public static int ForFindings(Reporting.Model.AuditReport report, string? threshold, CliConsole console)
    {
        if (threshold is null) return Ok;
        var level = threshold switch { "high" => Reporting.Model.Severity.High, "medium" => Reporting.Model.Severity.Medium, _ => Reporting.Model.Severity.Low };
        var highest = report.HighestSeverity();
        if (!Reporting.Model.SeverityExtensions.IsAtLeast(highest, level)) return Ok;
        console.Error.WriteLine($"findings at or above {threshold}: highest severity is {Reporting.Model.SeverityExtensions.Label(highest)} (exit code 1).");
        return Findings;
    }
}
