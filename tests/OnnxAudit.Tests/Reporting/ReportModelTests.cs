using OnnxAudit.Reporting;
using OnnxAudit.Reporting.Model;

namespace OnnxAudit.Tests.Reporting;

public sealed class ReportModelTests
{
    [Theory]
    [InlineData(Severity.High, Severity.Medium, true)]
    [InlineData(Severity.Medium, Severity.Medium, true)]
    [InlineData(Severity.Low, Severity.Medium, false)]
    [InlineData(Severity.None, Severity.Low, false)]
    [InlineData(Severity.None, Severity.None, true)]
    [InlineData(Severity.NotAssessed, Severity.Low, false)]
    [InlineData(Severity.NotAssessed, Severity.None, false)]
    public void Severity_IsAtLeast_OrdersAssessedAndIgnoresNotAssessed(Severity s, Severity threshold, bool expected) =>
        Assert.Equal(expected, s.IsAtLeast(threshold));

    [Fact]
    public void HighestSeverity_IncludesFindingsAndSkipsNotAssessed()
    {
        var r = SampleReport.Create();
        Assert.Equal(Severity.High, r.HighestSeverity());
        var low = r with
        {
            ExecutiveSummary = [new ThreatVerdict("t", Severity.NotAssessed, "e", [])],
            Sections = [new ReportSection("a", "A", [new FindingBlock(Severity.Low, "t", "e", "r", "rule")])],
        };
        Assert.Equal(Severity.Low, low.HighestSeverity());
    }

    [Fact]
    public void Validate_RaggedTable_NamesRowAndSection()
    {
        var r = SampleReport.Create() with { Sections = [new ReportSection("s1", "S", [new TableBlock("T", ["a", "b"], [["1", "2"], ["3"]])])] };
        var ex = Assert.Throws<ArgumentException>(r.Validate);
        Assert.Contains("Row 1 of table 'T' in section 's1' has 1 cells; expected 2", ex.Message);
    }

    [Theory]
    [InlineData("Bad Id")]
    [InlineData("")]
    [InlineData("ü")]
    public void Validate_InvalidSectionId_Throws(string id)
    {
        var r = SampleReport.Create() with { Sections = [new ReportSection(id, "S", [])], ExecutiveSummary = [] };
        Assert.Throws<ArgumentException>(r.Validate);
    }

    [Fact]
    public void Validate_ImageThatIsNotPng_Throws()
    {
        var grid = new ImageGridBlock("g", [], [new ImageGridRow("r", [new ReportImage([1, 2, 3])])]);
        var r = SampleReport.Create() with { Sections = [new ReportSection("s", "S", [grid])], ExecutiveSummary = [] };
        Assert.Contains("not a PNG", Assert.Throws<ArgumentException>(r.Validate).Message);
    }

    [Fact]
    public void Validate_LogXWithNonPositiveX_Throws()
    {
        var chart = new ChartBlock("c", ChartKind.Line, "x", "y", [new ChartSeries("s", [new(0, 1)])], [], LogX: true);
        var r = SampleReport.Create() with { Sections = [new ReportSection("s", "S", [chart])], ExecutiveSummary = [] };
        Assert.Throws<ArgumentException>(r.Validate);
    }

    [Fact]
    public void ReportColor_Tint_MixesTowardWhite()
    {
        var c = new ReportColor(0, 100, 255);
        Assert.Equal(c, c.Tint(0));
        Assert.Equal(new ReportColor(255, 255, 255), c.Tint(1));
        Assert.Equal(new ReportColor(128, 178, 255), c.Tint(0.5));
        Assert.Equal("#0064ff", c.Hex);
    }

    [Theory]
    [InlineData(0.0, 1.0)]
    [InlineData(-3.2, 17.9)]
    [InlineData(1e-5, 3e-5)]
    [InlineData(5.0, 5.0)]
    [InlineData(0.0, 1024.0)]
    public void ChartScale_Nice_CoversRangeWithEvenOneTwoFiveSteps(double min, double max)
    {
        var (lo, hi, ticks) = ChartScale.Nice(min, max);
        Assert.True(lo <= min && hi >= max, $"[{lo}, {hi}] must cover [{min}, {max}]");
        Assert.InRange(ticks.Length, 3, 12);
        var step = ticks[1] - ticks[0];
        for (var i = 1; i < ticks.Length; i++) TestUtil.Numerics.AssertClose(expected: step, actual: ticks[i] - ticks[i - 1], atol: 0, rtol: 1e-9);
        var mantissa = step / Math.Pow(10, Math.Floor(Math.Log10(step)));
        Assert.Contains(Math.Round(mantissa, 6), new[] { 1.0, 2.0, 5.0 });
    }
}
