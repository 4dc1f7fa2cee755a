using OnnxAudit.Reporting.Sections;

namespace OnnxAudit.Tests.Reporting.Sections;

public class GraphSectionBuilderTests
{
    [Fact]
    public void ShortPrefix_SixLayersOrFewer_KeepsTheFullList()
    {
        Assert.Equal("conv1 → relu → pool", GraphSectionBuilder.ShortPrefix("conv1 → relu → pool"));
        Assert.Equal("a → b → c → d → e → f", GraphSectionBuilder.ShortPrefix("a → b → c → d → e → f"));
    }

    [Fact]
    public void ShortPrefix_LongPrefix_KeepsBothEndsAndCountsTheRest()
    {
        Assert.Equal("a → b → … (3 more layers) … → f → g", GraphSectionBuilder.ShortPrefix("a → b → c → d → e → f → g"));
    }
}
