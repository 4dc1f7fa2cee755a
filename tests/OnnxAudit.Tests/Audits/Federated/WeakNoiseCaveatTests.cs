using OnnxAudit.Audits.Federated;

namespace OnnxAudit.Tests.Audits.Federated;

/// <summary>A recommended DP-SGD setting with a small noise multiplier is flagged as empirical, not formal privacy.</summary>
public class WeakNoiseCaveatTests
{
    [Theory]
    [InlineData(0.01, true)]
    [InlineData(0.1, true)]
    [InlineData(0.49, true)]
    [InlineData(0.5, false)]
    [InlineData(1.0, false)]
    public void DpSgd_BelowHalf_GetsTheCaveat(double sigma, bool caveat)
    {
        var text = FederatedLeakageAudit.WeakNoiseCaveat(new DpSgdDefence(1.0, sigma));
        Assert.Equal(caveat, text.Contains("no useful formal (ε, δ) guarantee", StringComparison.Ordinal));
        if (caveat) Assert.StartsWith("; ", text);
        else Assert.Equal("", text);
    }

    [Fact]
    public void Pruning_GetsNoCaveat()
    {
        var pruning = FederatedAuditOptions.PaperDefences.First(d => d is not DpSgdDefence);
        Assert.Equal("", FederatedLeakageAudit.WeakNoiseCaveat(pruning));
    }
}
