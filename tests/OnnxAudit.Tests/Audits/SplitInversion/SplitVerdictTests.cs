using OnnxAudit.Audits;
using OnnxAudit.Audits.SplitInversion;

namespace OnnxAudit.Tests.Audits.SplitInversion;

public class SplitVerdictTests
{
    [Theory]
    [InlineData(new[] { false, false, false }, Risk.Low)]
    [InlineData(new[] { true, false, false }, Risk.Medium)]
    [InlineData(new[] { true, true, false }, Risk.Medium)]
    [InlineData(new[] { true, false, true }, Risk.High)]
    [InlineData(new[] { false, true, false }, Risk.Medium)]
    [InlineData(new[] { false, false, true }, Risk.High)]
    [InlineData(new[] { true, true, true }, Risk.High)]
    public void Of_HandBuiltPoints_RiskFollowsRecommendation(bool[] unsafePoints, Risk expected)
    {
        var verdict = SplitVerdict.Of(SplitResults.Build(unsafePoints));

        Assert.Equal(expected, verdict.Risk);
        Assert.Contains("HIGH when no audited split point can be recommended", verdict.Rule, StringComparison.Ordinal);
    }

    [Fact]
    public void Of_UnsafeSafeUnsafe_SentenceSaysNoPointCanBeRecommended()
    {
        var verdict = SplitVerdict.Of(SplitResults.Build(true, false, true));

        Assert.Contains("2 of 3 audited split point(s) are unsafe", verdict.Sentence, StringComparison.Ordinal);
        Assert.Contains("none can be recommended", verdict.Sentence, StringComparison.Ordinal);
        Assert.DoesNotContain("No audited split point is safe", verdict.Sentence, StringComparison.Ordinal);
    }
}
