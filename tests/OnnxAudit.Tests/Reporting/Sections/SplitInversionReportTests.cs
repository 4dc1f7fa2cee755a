using OnnxAudit.Reporting.Model;
using OnnxAudit.Reporting.Sections;
using OnnxAudit.Tests.Audits.SplitInversion;

namespace OnnxAudit.Tests.Reporting.Sections;

public class SplitInversionReportTests
{
    [Theory]
    [InlineData(new[] { true, false, true }, Severity.High)]
    [InlineData(new[] { true, false, false }, Severity.Medium)]
    [InlineData(new[] { false, false, false }, Severity.Low)]
    [InlineData(new[] { true, true, true }, Severity.High)]
    public void Build_HandBuiltResult_SummaryAndFindingAgree(bool[] unsafePoints, Severity expected)
    {
        var contribution = SplitInversionReport.Build(SplitResults.Build(unsafePoints));
        var finding = contribution.Sections.SelectMany(s => s.Blocks).OfType<FindingBlock>().Single();

        Assert.Equal(expected, contribution.Verdict.Severity);
        Assert.Equal(expected, finding.Severity);
    }

    [Fact]
    public void Build_UnsafeSafeUnsafe_ActionDoesNotClaimEveryPointLeaks()
    {
        var contribution = SplitInversionReport.Build(SplitResults.Build(true, false, true));

        Assert.DoesNotContain(contribution.Verdict.Actions, a => a.Contains("every audited split point can be inverted", StringComparison.Ordinal));
        Assert.Contains(contribution.Verdict.Actions, a => a.Contains("every safe one is followed by an unsafe one", StringComparison.Ordinal));
    }
}
