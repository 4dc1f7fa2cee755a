namespace OnnxAudit.Imaging;

/// <summary>
/// Composes rows of CHW float images in [0,1] (e.g. row 1 originals, row 2 reconstructions) into one 8-bit image:
/// values are clamped to [0,1] and mapped to round(255·x); every cell is upscaled by an integer factor
/// (nearest neighbour) and separated by <c>Padding</c> pixels of the background value. Output is gray when every
/// image has one channel, RGB otherwise (gray images replicated). Stateless and thread-safe.
/// </summary>
public static class ImageGrid
{
    /// <summary>Builds the grid image. <paramref name="rows"/>[r][k] is a C×H×W image; all share H and W; C is 1 or 3.</summary>
    /// <param name="rows">The rows of images; rows may have different lengths.</param>
    /// <param name="channels">Channels of every image (1 or 3).</param>
    /// <param name="height">Image height.</param>
    /// <param name="width">Image width.</param>
    /// <param name="scale">Integer upscale factor (≥ 1).</param>
    /// <param name="padding">Pixels between cells and around the border (after scaling).</param>
    /// <param name="background">Background gray level in [0,1].</param>
    public static PngImage Compose(IReadOnlyList<IReadOnlyList<float[]>> rows, int channels, int height, int width,
        int scale = 1, int padding = 2, float background = 1f)
    {
        ArgumentNullException.ThrowIfNull(rows);
        if (channels is not (1 or 3)) throw new ArgumentException($"channels must be 1 or 3, got {channels}", nameof(channels));
        if (scale < 1) throw new ArgumentException($"scale must be ≥ 1, got {scale}", nameof(scale));
        if (padding < 0) throw new ArgumentException($"padding must be ≥ 0, got {padding}", nameof(padding));
        if (height <= 0 || width <= 0) throw new ArgumentException($"image size {height}×{width} must be positive");
        var cols = rows.Count == 0 ? 0 : rows.Max(r => r.Count);
        if (cols == 0) throw new ArgumentException("the grid needs at least one image", nameof(rows));
        int cellH = height * scale, cellW = width * scale;
        var outW = padding + cols * (cellW + padding);
        var outH = padding + rows.Count * (cellH + padding);
        var pixels = new byte[outW * outH * channels];
        pixels.AsSpan().Fill(ToByte(background));
        var plane = height * width;
        for (var r = 0; r < rows.Count; r++)
        {
            for (var k = 0; k < rows[r].Count; k++)
            {
                var img = rows[r][k];
                if (img.Length != channels * plane)
                {
                    throw new ArgumentException($"image [{r}][{k}] has {img.Length} values, expected {channels}×{height}×{width}", nameof(rows));
                }
                int y0 = padding + r * (cellH + padding), x0 = padding + k * (cellW + padding);
                for (var y = 0; y < cellH; y++)
                {
                    for (var x = 0; x < cellW; x++)
                    {
                        var p = (y / scale) * width + x / scale;
                        var o = ((y0 + y) * outW + x0 + x) * channels;
                        for (var c = 0; c < channels; c++) pixels[o + c] = ToByte(img[c * plane + p]);
                    }
                }
            }
        }
        return new PngImage(outW, outH, channels, pixels);
    }

    /// <summary>Composes the grid and writes it as a PNG file (atomically).</summary>
    public static void WritePng(string path, IReadOnlyList<IReadOnlyList<float[]>> rows, int channels, int height, int width,
        int scale = 1, int padding = 2, float background = 1f)
        => PngWriter.Write(path, Compose(rows, channels, height, width, scale, padding, background));

    /// <summary>Maps a value to 8 bits: NaN → 0, clamp to [0,1], round(255·x) (ties away from zero).</summary>
    public static byte ToByte(float v) => float.IsNaN(v) ? (byte)0 : (byte)MathF.Round(Math.Clamp(v, 0f, 1f) * 255f, MidpointRounding.AwayFromZero);
}
