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
        "Exit codes: 0 ok / no finding at or above --fail-on; 1 a finding at or above --fail-on, or a requested threat not assessed (unless --allow-not-assessed); 2 bad input (model, data or options; nothing is written); 3 internal error.";

    /// <summary>The exit code of a report for <c>--fail-on</c> (null = always <see cref="Ok"/>); writes the reason to stderr.</summary>
    public static int ForFindings(Reporting.Model.AuditReport report, string? threshold, CliConsole console, bool allowNotAssessed = false)
    {
        ArgumentNullException.ThrowIfNull(report);
        return ForVerdicts(report.ExecutiveSummary, report.HighestSeverity(), threshold, allowNotAssessed, console);
    }

    /// <summary>The exit code of one verb's verdict for <c>--fail-on</c> (same rule as the report's).</summary>
    public static int ForVerdict(Reporting.Model.ThreatVerdict verdict, string? threshold, bool allowNotAssessed, CliConsole console)
    {
        ArgumentNullException.ThrowIfNull(verdict);
        return ForVerdicts([verdict], verdict.Severity, threshold, allowNotAssessed, console);
    }

    // why: a gate that passes when nothing was audited can be fooled by a typo or a missing --data (issue 13): with
    // --fail-on, a requested threat that was not assessed fails the gate unless the user opts out explicitly.
    private static int ForVerdicts(IReadOnlyList<Reporting.Model.ThreatVerdict> verdicts, Reporting.Model.Severity highest, string? threshold,
        bool allowNotAssessed, CliConsole console)
    {
        if (threshold is null) return Ok;
        var level = threshold switch { "high" => Reporting.Model.Severity.High, "medium" => Reporting.Model.Severity.Medium, _ => Reporting.Model.Severity.Low };
        if (Reporting.Model.SeverityExtensions.IsAtLeast(highest, level))
        {
            console.Error.WriteLine($"findings at or above {threshold}: highest severity is {Reporting.Model.SeverityExtensions.Label(highest)} (exit code 1).");
            return Findings;
        }
        var gaps = verdicts.Where(v => v.IsGap).Select(v => v.NotAssessedPart is { } part ? $"{v.Threat} ({part})" : v.Threat).ToList();
        if (gaps.Count > 0 && !allowNotAssessed)
        {
            console.Error.WriteLine($"--fail-on {threshold}: not assessed: {string.Join(", ", gaps)}; the gate cannot pass on what was not audited (exit code 1). Pass --allow-not-assessed to accept that.");
            return Findings;
        }
        return Ok;
    }
}
