using OnnxAudit.Data;
using OnnxAudit.Errors;

namespace OnnxAudit.Tests.Data;

/// <summary>Resize / crop / channels against values Pillow 9.4 computed (the library torchvision's Resize calls on PIL images).</summary>
public sealed class PreprocessingTests
{
    // a 5×7 grey ramp (a[y,x] = 7·(7y + x) mod 256) as stored in an 8-bit image
    private static float[] Ramp() => Enumerable.Range(0, 35).Select(i => (i * 7 % 256) / 255f).ToArray();

    private static int[] Bytes(float[] v) => v.Select(x => (int)MathF.Round(x * 255f)).ToArray();

    // Reference: Image.fromarray(a, "L").resize((3, 2), Image.BILINEAR) (antialiased downscale).
    [Fact]
    public void Resize_Downscale_MatchesPillowBilinear()
    {
        var r = ImageTransforms.Resize(Ramp(), 1, 5, 7, 2, 3, eightBit: true);
        Assert.Equal([55, 70, 85, 153, 168, 183], Bytes(r));
    }

    // Reference: .resize((11, 8), Image.BILINEAR); Pillow's fixed-point arithmetic may differ by one level.
    [Fact]
    public void Resize_Upscale_MatchesPillowBilinearWithinOneLevel()
    {
        int[] expected = [0, 3, 8, 12, 17, 21, 25, 30, 34, 39, 42, 21, 24, 29, 33, 38, 42, 46, 51, 55, 60, 63, 52, 55, 60, 64, 69, 73, 77, 82, 86, 91, 94,
            83, 86, 91, 95, 100, 104, 108, 113, 117, 122, 125, 113, 116, 121, 125, 130, 134, 138, 143, 147, 152, 155, 144, 147, 152, 156, 161, 165, 169,
            174, 178, 183, 186, 175, 178, 183, 187, 192, 196, 200, 205, 209, 214, 217, 196, 199, 204, 208, 213, 217, 221, 226, 230, 235, 238];
        var r = Bytes(ImageTransforms.Resize(Ramp(), 1, 5, 7, 8, 11, eightBit: true));
        Assert.Equal(expected.Length, r.Length);
        for (var i = 0; i < r.Length; i++) Assert.True(Math.Abs(r[i] - expected[i]) <= 1, $"pixel {i}: {r[i]} vs Pillow {expected[i]}");
    }

    [Fact]
    public void Apply_ResizeShorterSideThenCenterCrop_GivesTorchvisionShape()
    {
        var img = new float[3 * 40 * 60];
        var (_, c, h, w) = ImageTransforms.Apply(img, 3, 40, 60, new Preprocessing(Resize: 20, CropHeight: 16, CropWidth: 18), eightBit: true, "x.png");
        Assert.Equal((3, 16, 18), (c, h, w));
        var (_, _, h2, w2) = ImageTransforms.Apply(new float[60 * 40], 1, 60, 40, new Preprocessing(Resize: 20), eightBit: true, "y.png");
        Assert.Equal((30, 20), (h2, w2));
    }

    // Reference: Image.fromarray(stack([a, 255 − a, a // 2]), "RGB").convert("L"), first 10 pixels.
    [Fact]
    public void ConvertChannels_RgbToGrey_MatchesPillowLuma()
    {
        var a = Enumerable.Range(0, 35).Select(i => i * 7 % 256).ToArray();
        var rgb = a.Select(v => v / 255f).Concat(a.Select(v => (255 - v) / 255f)).Concat(a.Select(v => v / 2 / 255f)).ToArray();
        var g = Bytes(ImageTransforms.ConvertChannels(rgb, 3, 35, 1, eightBit: true));
        int[] expected = [150, 148, 146, 145, 143, 142, 140, 138, 137, 135];
        for (var i = 0; i < expected.Length; i++) Assert.True(Math.Abs(g[i] - expected[i]) <= 1, $"pixel {i}: {g[i]} vs Pillow {expected[i]}");
    }

    [Fact]
    public void CenterCrop_LargerThanImage_ThrowsNamingTheFix()
    {
        var ex = Assert.Throws<DataFormatException>(() => ImageTransforms.Apply(new float[16], 1, 4, 4, new Preprocessing(CropHeight: 8), true, "a.png"));
        Assert.Contains("--center-crop", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void From_Presets_AndInconsistentValues()
    {
        var p = Preprocessing.From(null, null, null, "imagenet", null, null, null);
        Assert.Equal([0.485f, 0.456f, 0.406f], p.Mean);
        Assert.Equal("imagenet", p.NormalizeName);
        Assert.Contains("folded into the audited graph", p.Describe(), StringComparison.Ordinal);
        Assert.Equal("custom", Preprocessing.From(null, null, null, null, "0.5", "0.25", null).NormalizeName);
        Assert.Throws<OnnxAuditException>(() => Preprocessing.From(null, null, null, "imagenett", null, null, null));
        Assert.Throws<OnnxAuditException>(() => Preprocessing.From(null, null, null, null, "0.5", null, null));
        Assert.Throws<OnnxAuditException>(() => Preprocessing.From(null, null, null, null, "0.5", "0", null));
        Assert.Throws<OnnxAuditException>(() => Preprocessing.From(0, null, null, null, null, null, null));
        Assert.Throws<OnnxAuditException>(() => Preprocessing.From(null, "a,b", null, null, null, null, null));
        Assert.Throws<OnnxAuditException>(() => Preprocessing.From(null, null, 2, null, null, null, null));
    }

    [Fact]
    public void ClassMap_ReadsLinesAndJson_MatchesFolderNamesLoosely()
    {
        var dir = TestUtil.RepoPaths.NewTempDir();
        try
        {
            var txt = Path.Combine(dir, "c.txt");
            File.WriteAllText(txt, "T-shirt/top\nTrouser\n\n");
            var json = Path.Combine(dir, "c.json");
            File.WriteAllText(json, "{\"Trouser\": 1, \"T-shirt/top\": 0}");
            Assert.Equal(["T-shirt/top", "Trouser"], ClassMap.ReadNames(txt));
            Assert.Equal(["T-shirt/top", "Trouser"], ClassMap.ReadNames(json));
            var (index, _, source) = ClassMap.ForFolders(["T-shirt_top", "Trouser"], dir, txt, null);
            Assert.Equal([0, 1], index);
            Assert.StartsWith("classes file", source, StringComparison.Ordinal);
            var (byModel, _, src2) = ClassMap.ForFolders(["Trouser", "t-shirt_top"], dir, null, ["T-shirt/top", "Trouser"]);
            Assert.Equal([1, 0], byModel);
            Assert.Contains("metadata_props", src2, StringComparison.Ordinal);
            Assert.Throws<DataFormatException>(() => ClassMap.ForFolders(["Bag"], dir, txt, null));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
