namespace OnnxAudit.Reporting.Model;

/// <summary>Labels, colours and ordering of <see cref="Severity"/>, shared by all renderers.</summary>
public static class SeverityExtensions
{
    /// <summary>The upper-case word printed in badges: HIGH, MEDIUM, LOW, NONE, NOT ASSESSED.</summary>
    public static string Label(this Severity severity) => severity switch
    {
        Severity.High => "HIGH",
        Severity.Medium => "MEDIUM",
        Severity.Low => "LOW",
        Severity.None => "NONE",
        Severity.NotAssessed => "NOT ASSESSED",
        _ => throw new ArgumentOutOfRangeException(nameof(severity), severity, "unknown severity"),
    };

    /// <summary>The identifier used in JSON: high, medium, low, none, not-assessed.</summary>
    public static string JsonName(this Severity severity) => severity switch
    {
        Severity.NotAssessed => "not-assessed",
        _ => severity.Label().ToLowerInvariant(),
    };

    /// <summary>Badge colour: red, orange, amber, green, grey.</summary>
    public static ReportColor Color(this Severity severity) => severity switch
    {
        Severity.High => new ReportColor(0xC0, 0x39, 0x2B),
        Severity.Medium => new ReportColor(0xE6, 0x7E, 0x22),
        Severity.Low => new ReportColor(0xB7, 0x95, 0x0B),
        Severity.None => new ReportColor(0x27, 0xAE, 0x60),
        Severity.NotAssessed => new ReportColor(0x7F, 0x8C, 0x8D),
        _ => throw new ArgumentOutOfRangeException(nameof(severity), severity, "unknown severity"),
    };

    /// <summary>
    /// True when <paramref name="severity"/> is assessed and at least <paramref name="threshold"/>
    /// (used for <c>--fail-on</c>). <see cref="Severity.NotAssessed"/> is never at or above anything.
    /// </summary>
    public static bool IsAtLeast(this Severity severity, Severity threshold)
    {
        if (threshold == Severity.NotAssessed)
            throw new ArgumentOutOfRangeException(nameof(threshold), threshold, "threshold must be None, Low, Medium or High");
        return severity != Severity.NotAssessed && severity >= threshold;
    }
}
