using OnnxAudit.Cli;
using OnnxAudit.Reporting.Model;
using OnnxAudit.Tests.Reporting;

namespace OnnxAudit.Tests.Cli;

public class ExitCodesTests
{
    private static AuditReport WithSeverities(params Severity[] severities)
    {
        var sample = SampleReport.Create();
        var verdicts = severities.Select((s, i) => new ThreatVerdict($"threat {i}", s, "evidence", [])).ToList();
        var sections = sample.Sections.Select(sec => sec with { Blocks = [.. sec.Blocks.Where(b => b is not FindingBlock)] }).ToList();
        return sample with { ExecutiveSummary = verdicts, Sections = sections };
    }

    [Theory]
    [InlineData(null, new[] { Severity.High }, 0)]
    [InlineData("high", new[] { Severity.Medium, Severity.High }, 1)]
    [InlineData("high", new[] { Severity.Medium, Severity.Low }, 0)]
    [InlineData("medium", new[] { Severity.Medium, Severity.NotAssessed }, 1)]
    [InlineData("low", new[] { Severity.None, Severity.NotAssessed }, 1)] // requested but not assessed fails the gate
    [InlineData("low", new[] { Severity.NotAssessed }, 1)]
    [InlineData(null, new[] { Severity.NotAssessed }, 0)]
    public void ForFindings_HandBuiltReport_FollowsHighestSeverity(string? threshold, Severity[] severities, int expected)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();

        var code = ExitCodes.ForFindings(WithSeverities(severities), threshold, new CliConsole(stdout, stderr, interactive: false));

        Assert.Equal(expected, code);
    }

    [Fact]
    public void ForFindings_NotAssessed_AllowedOrNotApplicable_Passes()
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var console = new CliConsole(stdout, stderr, interactive: false);
        var report = WithSeverities([Severity.None, Severity.NotAssessed]);
        Assert.Equal(0, ExitCodes.ForFindings(report, "low", console, allowNotAssessed: true));
        var notApplicable = report with { ExecutiveSummary = [.. report.ExecutiveSummary.Select(v => v with { NotApplicable = v.Severity == Severity.NotAssessed })] };
        Assert.Equal(0, ExitCodes.ForFindings(notApplicable, "low", console));
        Assert.Equal(1, ExitCodes.ForFindings(report, "low", console));
        Assert.Contains("not assessed: threat 1", stderr.ToString(), StringComparison.Ordinal);
    }
}
