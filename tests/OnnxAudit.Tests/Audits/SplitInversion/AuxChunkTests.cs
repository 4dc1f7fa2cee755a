using OnnxAudit.Audits.SplitInversion;

namespace OnnxAudit.Tests.Audits.SplitInversion;

/// <summary>The attacker's images go through the prefix in chunks of at most 1 GB of activations (issue 17: vit_b_16@224's
/// 192 images at once raised the report's peak RSS from 4.5 to 9.2 GB).</summary>
public class AuxChunkTests
{
    [Theory]
    [InlineData(246L << 20, 4)]          // vit_b_16@224
    [InlineData(22L << 20, 46)]          // resnet18@224
    [InlineData(3L << 20, 256)]          // resnet18@64: unchanged
    [InlineData(0L, 256)]
    [InlineData(2L << 30, 1)]            // larger than the budget alone: one image per run
    public void AuxChunk_KeepsOneRunWithinTheBudget(long perSample, int expected)
    {
        var chunk = SplitInversionAuditor.AuxChunk(perSample);
        Assert.Equal(expected, chunk);
        Assert.True(chunk == 1 || chunk * perSample <= SplitInversionAuditor.AuxForwardBytes);
    }
}
