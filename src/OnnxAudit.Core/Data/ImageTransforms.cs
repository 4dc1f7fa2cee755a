using System.Globalization;
using OnnxAudit.Errors;

namespace OnnxAudit.Data;

/// <summary>
/// Per-image resize, centre crop and channel conversion on float32 C×H×W planes in [0,1], matching what torchvision's
/// <c>Resize</c>/<c>CenterCrop</c> do to PIL images (PIL's separable, antialiased triangle filter). For 8-bit sources the
/// result of each pass is rounded to the 1/255 grid as PIL does. Stateless and thread-safe.
/// </summary>
public static class ImageTransforms
{
    /// <summary>Applies <paramref name="pre"/> (channels, then resize, then crop) to one image; returns the new image and dims.</summary>
    /// <exception cref="DataFormatException">The crop is larger than the (resized) image.</exception>
    public static (float[] Pixels, int C, int H, int W) Apply(float[] image, int c, int h, int w, Preprocessing pre, bool eightBit, string source)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(pre);
        if (pre.Channels is { } target && target != c) (image, c) = (ConvertChannels(image, c, h * w, target, eightBit), target);
        if (pre.Resize is { } size)
        {
            // why: torchvision Resize(int) scales the shorter side to size and keeps the aspect ratio (int() truncation).
            var (oh, ow) = h <= w ? (size, (int)((long)size * w / h)) : ((int)((long)size * h / w), size);
            if (oh != h || ow != w) (image, h, w) = (Resize(image, c, h, w, oh, ow, eightBit), oh, ow);
        }
        if (pre.CropHeight is { } ch)
        {
            var cw = pre.CropWidth ?? ch;
            if (ch > h || cw > w)
                throw new DataFormatException(string.Create(CultureInfo.InvariantCulture,
                    $"{source}: image is {w}×{h} after resizing, smaller than the centre crop {cw}×{ch}; pass a larger --resize or a smaller --center-crop."));
            // why: torchvision CenterCrop: top = int(round((h − ch) / 2)), Python's round-half-to-even.
            var top = (int)Math.Round((h - ch) / 2.0, MidpointRounding.ToEven);
            var left = (int)Math.Round((w - cw) / 2.0, MidpointRounding.ToEven);
            var dst = new float[c * ch * cw];
            for (var k = 0; k < c; k++)
                for (var y = 0; y < ch; y++)
                    image.AsSpan(k * h * w + (top + y) * w + left, cw).CopyTo(dst.AsSpan(k * ch * cw + y * cw, cw));
            (image, h, w) = (dst, ch, cw);
        }
        return (image, c, h, w);
    }

    /// <summary>Grey → RGB (replicate) or RGB → grey (L = 0.299 R + 0.587 G + 0.114 B, PIL's <c>convert("L")</c>).</summary>
    public static float[] ConvertChannels(ReadOnlySpan<float> image, int c, int plane, int target, bool eightBit)
    {
        var dst = new float[target * plane];
        if (target == 3 && c == 1)
        {
            for (var k = 0; k < 3; k++) image[..plane].CopyTo(dst.AsSpan(k * plane, plane));
        }
        else if (target == 1 && c >= 3)
        {
            for (var p = 0; p < plane; p++)
            {
                var v = 0.299f * image[p] + 0.587f * image[plane + p] + 0.114f * image[2 * plane + p];
                dst[p] = eightBit ? Quantize(v) : v;
            }
        }
        else throw new ArgumentException($"cannot convert {c} channels to {target}");
        return dst;
    }

    /// <summary>
    /// Bilinear resize with PIL's antialiasing: output pixel i samples centre (i + ½)·scale with a triangle filter
    /// widened by max(1, scale) (so downscaling averages), weights normalised; horizontal pass, then vertical.
    /// </summary>
    public static float[] Resize(float[] image, int c, int h, int w, int oh, int ow, bool eightBit)
    {
        ArgumentNullException.ThrowIfNull(image);
        var (xs, xw) = Coefficients(w, ow);
        var (ys, yw) = Coefficients(h, oh);
        var tmp = new float[c * h * ow];
        for (var k = 0; k < c; k++)
            for (var y = 0; y < h; y++)
            {
                var row = image.AsSpan(k * h * w + y * w, w);
                for (var x = 0; x < ow; x++)
                {
                    double s = 0;
                    var wts = xw[x];
                    for (var t = 0; t < wts.Length; t++) s += wts[t] * row[xs[x] + t];
                    tmp[k * h * ow + y * ow + x] = eightBit ? Quantize((float)s) : (float)s;
                }
            }
        var dst = new float[c * oh * ow];
        for (var k = 0; k < c; k++)
            for (var y = 0; y < oh; y++)
            {
                var wts = yw[y];
                for (var x = 0; x < ow; x++)
                {
                    double s = 0;
                    for (var t = 0; t < wts.Length; t++) s += wts[t] * tmp[k * h * ow + (ys[y] + t) * ow + x];
                    dst[k * oh * ow + y * ow + x] = eightBit ? Quantize((float)s) : Math.Clamp((float)s, 0f, 1f);
                }
            }
        return dst;
    }

    // why: Pillow Resample.c precompute_coeffs with the bilinear (triangle, support 1) filter.
    private static (int[] Start, double[][] Weights) Coefficients(int inSize, int outSize)
    {
        var scale = (double)inSize / outSize;
        var filterScale = Math.Max(scale, 1.0);
        var support = filterScale;
        var start = new int[outSize];
        var weights = new double[outSize][];
        for (var i = 0; i < outSize; i++)
        {
            var center = (i + 0.5) * scale;
            var xmin = Math.Max((int)(center - support + 0.5), 0);
            var xmax = Math.Min((int)(center + support + 0.5), inSize);
            var k = new double[Math.Max(xmax - xmin, 0)];
            double sum = 0;
            for (var x = 0; x < k.Length; x++)
            {
                var t = Math.Abs((x + xmin - center + 0.5) / filterScale);
                k[x] = t < 1 ? 1 - t : 0;
                sum += k[x];
            }
            if (sum != 0) for (var x = 0; x < k.Length; x++) k[x] /= sum;
            start[i] = xmin;
            weights[i] = k;
        }
        return (start, weights);
    }

    private static float Quantize(float v) => MathF.Round(Math.Clamp(v, 0f, 1f) * 255f, MidpointRounding.AwayFromZero) / 255f;
}
