namespace OnnxAudit.Graph;

/// <summary>
/// How a batch of C×H×W images is shaped for the model's data input: rank 4 [N, C, H, W], rank 3 [N, H, W] (one
/// channel) or rank 2 [N, C·H·W] (a flat input). The pixels are the same row-major values in every layout; only the
/// dims differ. Immutable.
/// </summary>
/// <param name="Rank">Rank of the data input (2, 3 or 4; anything else is treated as 4 and rejected by the data check).</param>
public sealed record InputLayout(int Rank)
{
    /// <summary>The dims of a batch of <paramref name="n"/> images of C×H×W in this layout.</summary>
    public long[] Dims(long n, int c, int h, int w) => Rank switch
    {
        2 => [n, (long)c * h * w],
        3 => [n, h, w],
        _ => [n, c, h, w],
    };
}
