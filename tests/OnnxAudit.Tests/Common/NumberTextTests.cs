using OnnxAudit.Common;

namespace OnnxAudit.Tests.Common;

public sealed class NumberTextTests
{
    [Theory]
    [InlineData(1000.0, "1e+3")]
    [InlineData(1e4, "1e+4")]
    [InlineData(1e-6, "1e-6")]
    [InlineData(1.234e-5, "1.23e-5")]
    [InlineData(0.01, "0.01")]
    [InlineData(10.0, "10")]
    [InlineData(0.0, "0")]
    public void Three_significant_digits_with_an_unpadded_exponent(double v, string expected) =>
        Assert.Equal(expected, NumberText.G3(v));
}
