using OnnxAudit.Imaging;
using OnnxAudit.Tests.TestUtil;

namespace OnnxAudit.Tests.Imaging;

public sealed class ImageGridTests
{
    [Fact]
    public void Compose_TwoRowsGray_LayoutScaleAndClamp()
    {
        // 1×1×2 images (H 1, W 2), scale 2, padding 1, background 1 → width 1 + 2·(4 + 1) = 11, height 1 + 2·(2 + 1) = 7
        float[] a = [0f, 1f], b = [0.5f, -3f], c = [2f, float.NaN];
        var img = ImageGrid.Compose([[a, b], [c]], channels: 1, height: 1, width: 2, scale: 2, padding: 1, background: 1f);
        Assert.Equal((11, 7, 1), (img.Width, img.Height, img.Channels));
        byte At(int x, int y) => img.Pixels[y * img.Width + x];
        Assert.Equal(255, At(0, 0));           // padding
        Assert.Equal(0, At(1, 1));             // a[0] upscaled 2×2
        Assert.Equal(0, At(2, 2));
        Assert.Equal(255, At(3, 1));           // a[1]
        Assert.Equal(128, At(6, 1));           // b[0] = 0.5 → round(127.5) = 128
        Assert.Equal(0, At(8, 2));             // b[1] clamped from −3
        Assert.Equal(255, At(1, 4));           // c[0] clamped from 2
        Assert.Equal(0, At(3, 5));             // NaN → 0
        Assert.Equal(255, At(6, 4));           // empty cell in the shorter row = background
    }

    [Fact]
    public void WritePng_Rgb_RoundTripsThroughReader()
    {
        var img = new float[3 * 2 * 2];
        for (var i = 0; i < img.Length; i++) img[i] = i / 11f;
        var dir = RepoPaths.NewTempDir();
        var path = Path.Combine(dir, "grid.png");
        ImageGrid.WritePng(path, [[img]], channels: 3, height: 2, width: 2, scale: 1, padding: 0);
        var back = ImageDecoder.Read(path);
        Assert.Equal((2, 2, 3), (back.Width, back.Height, back.Channels));
        // pixel (x 1, y 0) channel G = plane 1, index 1 → value 5/11
        Assert.Equal(ImageGrid.ToByte(5 / 11f), back.Pixels[(0 * 2 + 1) * 3 + 1]);
        Assert.Equal(ImageGrid.ToByte(11 / 11f), back.Pixels[(1 * 2 + 1) * 3 + 2]);
    }

    [Fact]
    public void Compose_WrongImageLength_Throws()
    {
        Assert.Throws<ArgumentException>(() => ImageGrid.Compose([[new float[3]]], 1, 2, 2));
        Assert.Throws<ArgumentException>(() => ImageGrid.Compose([], 1, 2, 2));
    }
}
