using OnnxAudit.Data;
using OnnxAudit.Errors;
using OnnxAudit.Imaging;
using OnnxAudit.Tests.TestUtil;

namespace OnnxAudit.Tests.Data;

public sealed class DatasetLoaderTests
{
    private static string Fixture(string name) => Path.Combine(RepoPaths.Reference, "data", name);

    [Fact]
    public void LoadNpy_GrayUInt8_ScaledWithSiblingLabels()
    {
        var ds = DatasetLoader.Load(Fixture("gray_u8_5x6x7.npy"));
        Assert.Equal((5, 1, 6, 7), (ds.N, ds.C, ds.H, ds.W));
        var raw = NpyReader.Read(Fixture("gray_u8_5x6x7.npy")).ToFloat32();
        Numerics.AssertClose(expected: raw.Select(v => v / 255f).ToArray(), actual: ds.Pixels, atol: 0, rtol: 0);
        Assert.Equal([3L, 1, 4, 1, 5], ds.Labels!);
        Assert.Equal(Fixture("gray_u8_5x6x7.labels.npy"), ds.LabelsSource);
    }

    [Fact]
    public void LoadNpy_NhwcAutoDetected_EqualsNchwFile()
    {
        var nchw = DatasetLoader.Load(Fixture("rgb_f4_nchw_4x3x5x6.npy"));
        var nhwc = DatasetLoader.Load(Fixture("rgb_f4_nhwc_4x5x6x3.npy"));
        Assert.Equal((4, 3, 5, 6), (nchw.N, nchw.C, nchw.H, nchw.W));
        Assert.Equal((4, 3, 5, 6), (nhwc.N, nhwc.C, nhwc.H, nhwc.W));
        Numerics.AssertClose(expected: nchw.Pixels, actual: nhwc.Pixels, atol: 0, rtol: 0);
    }

    [Fact]
    public void LoadNpy_LayoutForced_OverridesDetection()
    {
        var forced = DatasetLoader.Load(Fixture("rgb_f4_nhwc_4x5x6x3.npy"), DataOptions.Default with { Layout = DataLayout.Nchw });
        Assert.Equal((5, 6, 3), (forced.C, forced.H, forced.W));
    }

    [Fact]
    public void LoadNpy_Normalised_AppliesPerChannelAndInverts()
    {
        var plain = DatasetLoader.Load(Fixture("rgb_f4_nchw_4x3x5x6.npy"));
        var opts = DataOptions.Default with { Mean = [0.5f, 0.25f, 0f], Std = [0.5f, 2f, 1f] };
        var norm = DatasetLoader.Load(Fixture("rgb_f4_nchw_4x3x5x6.npy"), opts);
        Assert.True(norm.IsNormalized);
        var plane = 30;
        var x = plain.GetImage(1);
        var y = norm.GetImage(1);
        Numerics.AssertClose(expected: (x[0] - 0.5f) / 0.5f, actual: y[0], atol: 1e-6, rtol: 0);
        Numerics.AssertClose(expected: (x[plane + 3] - 0.25f) / 2f, actual: y[plane + 3], atol: 1e-6, rtol: 0);
        Numerics.AssertClose(expected: x[2 * plane + 7], actual: y[2 * plane + 7], atol: 0, rtol: 0);
        var back = new float[norm.ImageSize];
        norm.ToUnitRange(y, back);
        Numerics.AssertClose(expected: x, actual: back, atol: 1e-6, rtol: 0);
    }

    [Fact]
    public void Load_MeanWithoutStd_Throws()
    {
        var ex = Assert.Throws<DataFormatException>(() => DatasetLoader.Load(Fixture("gray_u8_5x6x7.npy"), DataOptions.Default with { Mean = [0.5f] }));
        Assert.StartsWith("normalisation: mean and std must be given together", ex.Message);
    }

    [Fact]
    public void Load_MeanWrongLength_Throws()
    {
        var ex = Assert.Throws<DataFormatException>(() => DatasetLoader.Load(Fixture("gray_u8_5x6x7.npy"),
            DataOptions.Default with { Mean = [0.5f, 0.5f], Std = [1f, 1f] }));
        Assert.Contains("normalisation mean has 2 values but the images have 1 channel(s); give 1 or 1 values.", ex.Message);
    }

    [Fact]
    public void LoadNpy_FloatsOutside01_ThrowsSuggesting255()
    {
        var ex = Assert.Throws<DataFormatException>(() => DatasetLoader.Load(Fixture("f4_0_255_2x4x4.npy")));
        Assert.Contains("float images must lie in [0,1] but values range over", ex.Message);
        Assert.EndsWith("the values look like 0–255 pixels: divide by 255 or save them as uint8.", ex.Message);
    }

    [Fact]
    public void LoadNpy_SmallExcursion_Clamped()
    {
        var dir = RepoPaths.NewTempDir();
        var p = Path.Combine(dir, "x.npy");
        NpyWriter.Write(p, (ReadOnlySpan<float>)[-0.0005f, 1.0005f, 0.5f, 0.25f], [1, 2, 2]);
        var ds = DatasetLoader.Load(p);
        Numerics.AssertClose(expected: [0f, 1f, 0.5f, 0.25f], actual: ds.Pixels, atol: 0, rtol: 0);
        NpyWriter.Write(p, (ReadOnlySpan<float>)[-0.5f, 1f, 0.5f, 0.25f], [1, 2, 2]);
        var ex = Assert.Throws<DataFormatException>(() => DatasetLoader.Load(p));
        Assert.EndsWith("save un-normalised pixels in [0,1] and pass the normalisation as mean/std options.", ex.Message);
    }

    [Fact]
    public void LoadNpy_WrongRank_Throws()
    {
        var ex = Assert.Throws<DataFormatException>(() => DatasetLoader.Load(Fixture("f8_2x3.npy")));
        Assert.Equal($"{Fixture("f8_2x3.npy")}: array has shape (2, 3) but images must be N×H×W, N×C×H×W or N×H×W×C; reshape it (e.g. a.reshape(-1, 1, 28, 28)) and save it again.", ex.Message);
    }

    [Fact]
    public void LoadNpy_ExplicitLabels_WrongCountAndFloat_Throw()
    {
        var count = Assert.Throws<DataFormatException>(() => DatasetLoader.Load(Fixture("gray_u8_5x6x7.npy"),
            DataOptions.Default with { LabelsPath = Fixture("i8_labels_4.npy") }));
        Assert.Contains("has 4 labels but", count.Message);
        var dir = RepoPaths.NewTempDir();
        var fl = Path.Combine(dir, "fl.npy");
        NpyWriter.Write(fl, new float[5], [5]);
        var flt = Assert.Throws<DataFormatException>(() => DatasetLoader.Load(Fixture("gray_u8_5x6x7.npy"), DataOptions.Default with { LabelsPath = fl }));
        Assert.Contains("labels have dtype <f4 but integer class indices were expected", flt.Message);
    }

    [Fact]
    public void Load_MissingPath_Throws()
    {
        var ex = Assert.Throws<DataFormatException>(() => DatasetLoader.Load("/nonexistent/data.npy"));
        Assert.Equal("/nonexistent/data.npy: file not found (an image data file (.npy, IDX idx3-ubyte[.gz]) or a folder of PNG files was expected); check the path.", ex.Message);
    }

    [Fact]
    public void Load_UnknownFormat_Throws()
    {
        var dir = RepoPaths.NewTempDir();
        var p = Path.Combine(dir, "notes.txt");
        File.WriteAllText(p, "hello world");
        var ex = Assert.Throws<DataFormatException>(() => DatasetLoader.Load(p));
        Assert.Contains("unrecognised data format", ex.Message);
    }

    [Fact]
    public void Batch_CopiesImagesAndLabelsInOrder()
    {
        var ds = DatasetLoader.Load(Fixture("gray_u8_5x6x7.npy"));
        var (data, dims, labels) = ds.Batch([4, 0]);
        Assert.Equal([2L, 1, 6, 7], dims);
        Assert.Equal([5L, 3L], labels!);
        Numerics.AssertClose(expected: ds.GetImage(4), actual: data.AsSpan(0, 42), atol: 0, rtol: 0);
        Numerics.AssertClose(expected: ds.GetImage(0), actual: data.AsSpan(42, 42), atol: 0, rtol: 0);
        Assert.Equal([3L, 42], ds.Batch([1, 2, 3], [null, 42]).Dims);
    }

    [Fact]
    public void CheckFits_MatchingAndSymbolicDims_Pass()
    {
        var ds = DatasetLoader.Load(Fixture("rgb_f4_nchw_4x3x5x6.npy"));
        ds.CheckFits([null, 3, 5, 6], "m.onnx");
        ds.CheckFits([1, 3, null, null], "m.onnx");
        ds.CheckFits([null, 90], "m.onnx");
    }

    [Fact]
    public void CheckFits_WrongShape_OneLineMessageWithFix()
    {
        var ds = DatasetLoader.Load(Fixture("rgb_f4_nchw_4x3x5x6.npy"));
        var ex = Assert.Throws<DataFormatException>(() => ds.CheckFits([null, 1, 28, 28], "lenet5.onnx"));
        Assert.Equal($"{Fixture("rgb_f4_nchw_4x3x5x6.npy")}: images are 3×5×6 but model lenet5.onnx expects 1×28×28 (NCHW); convert the images to grayscale and resize the images or pass data made for this model.", ex.Message);
        var size = Assert.Throws<DataFormatException>(() => ds.CheckFits([null, 3, null, 7], "m.onnx"));
        Assert.EndsWith("images are 3×5×6 but model m.onnx expects 3×?×7 (NCHW); resize the images or pass data made for this model.", size.Message);
        var flat = Assert.Throws<DataFormatException>(() => ds.CheckFits([null, 784], "fcn-512.onnx"));
        Assert.EndsWith("images are 3×5×6 (90 values) but model fcn-512.onnx expects 784 values per image (flattened input N×784); pass data made for this model.", flat.Message);
        var rank = Assert.Throws<DataFormatException>(() => ds.CheckFits([null, 3, 5, 6, 1], "m5.onnx"));
        Assert.Contains("has an input of rank 5 (?×3×5×6×1), not an image batch", rank.Message);
    }

    [Fact]
    public void LoadImageFolder_ClassesSortedAndGrayExpandedToRgb()
    {
        var dir = RepoPaths.NewTempDir();
        Directory.CreateDirectory(Path.Combine(dir, "b_dog"));
        Directory.CreateDirectory(Path.Combine(dir, "a_cat"));
        // gray 2×3 image in class b, RGB 2×3 image in class a
        PngWriter.Write(Path.Combine(dir, "b_dog", "x.png"), [0, 51, 102, 153, 204, 255], 3, 2, 1);
        var rgb = Enumerable.Range(0, 18).Select(i => (byte)(i * 10)).ToArray();
        PngWriter.Write(Path.Combine(dir, "a_cat", "y.png"), rgb, 3, 2, 3);
        File.WriteAllText(Path.Combine(dir, "a_cat", "readme.txt"), "ignored");
        var ds = DatasetLoader.Load(dir);
        Assert.Equal((2, 3, 2, 3), (ds.N, ds.C, ds.H, ds.W));
        Assert.Equal(["a_cat", "b_dog"], ds.ClassNames!);
        Assert.Equal([0L, 1L], ds.Labels!);
        // image 0 = RGB, planar: R plane = bytes 0,3,6,... /255
        Numerics.AssertClose(expected: [0f, 30 / 255f, 60 / 255f, 90 / 255f, 120 / 255f, 150 / 255f], actual: ds.GetImage(0)[..6], atol: 1e-7, rtol: 0);
        // image 1 = gray replicated into the three planes
        var g = new[] { 0f, 0.2f, 0.4f, 0.6f, 0.8f, 1f };
        Numerics.AssertClose(expected: g.Concat(g).Concat(g).ToArray(), actual: ds.GetImage(1), atol: 1e-7, rtol: 0);
        Assert.Equal(64, ds.Sha256.Length);
    }

    [Fact]
    public void LoadImageFolder_JpegWebpBmpGif_LoadInFileOrder()
    {
        const int w = 4, h = 3;
        var dir = RepoPaths.NewTempDir();
        var cls = Directory.CreateDirectory(Path.Combine(dir, "only")).FullName;
        var rgb = OnnxAudit.Tests.Imaging.TestImages.Rgb(w, h);
        File.WriteAllBytes(Path.Combine(cls, "a.bmp"), OnnxAudit.Tests.Imaging.TestImages.Bmp(rgb, w, h));
        File.WriteAllBytes(Path.Combine(cls, "b.GIF"), OnnxAudit.Tests.Imaging.TestImages.Gif(w, h, new byte[w * h]));
        File.WriteAllBytes(Path.Combine(cls, "c.jpeg"), OnnxAudit.Tests.Imaging.TestImages.Encode(rgb, w, h, SkiaSharp.SKEncodedImageFormat.Jpeg));
        File.WriteAllBytes(Path.Combine(cls, "d.webp"), OnnxAudit.Tests.Imaging.TestImages.Encode(rgb, w, h, SkiaSharp.SKEncodedImageFormat.Webp));
        File.WriteAllText(Path.Combine(cls, "e.tiff"), "not read");
        var ds = DatasetLoader.Load(dir);
        Assert.Equal((4, 3, h, w), (ds.N, ds.C, ds.H, ds.W));
        var planarR = Enumerable.Range(0, w * h).Select(p => rgb[3 * p] / 255f).ToArray();
        Numerics.AssertClose(expected: planarR, actual: ds.GetImage(0)[..(w * h)], atol: 1e-6, rtol: 0); // BMP: exact
        Numerics.AssertClose(expected: new float[3 * w * h], actual: ds.GetImage(1), atol: 0, rtol: 0); // GIF: black frame
        Numerics.AssertClose(expected: planarR, actual: ds.GetImage(3)[..(w * h)], atol: 1e-6, rtol: 0); // lossless WebP
    }

    [Fact]
    public void LoadImageFolder_MixedSizesOrEmpty_Throw()
    {
        var dir = RepoPaths.NewTempDir();
        var empty = Assert.Throws<DataFormatException>(() => DatasetLoader.Load(dir));
        Assert.Contains("folder has no class sub-folders", empty.Message);
        Directory.CreateDirectory(Path.Combine(dir, "c"));
        var none = Assert.Throws<DataFormatException>(() => DatasetLoader.Load(dir));
        Assert.Contains("no image files (.png, .jpg, .jpeg, .webp, .bmp, .gif) in its class sub-folders", none.Message);
        PngWriter.Write(Path.Combine(dir, "c", "1.png"), new byte[4], 2, 2, 1);
        PngWriter.Write(Path.Combine(dir, "c", "2.png"), new byte[6], 3, 2, 1);
        var ex = Assert.Throws<DataFormatException>(() => DatasetLoader.Load(dir));
        Assert.EndsWith($"image is 3×2 but {Path.Combine(dir, "c", "1.png")} is 2×2; pass --resize N (and --center-crop H,W) to bring every image to one size.", ex.Message);
    }

    [Fact]
    public void FromPixelsAndSubset_KeepShapeLabelsAndOrder()
    {
        var pixels = Enumerable.Range(0, 3 * 4).Select(i => i / 12f).ToArray();
        var ds = Dataset.FromPixels("mem", pixels, 3, 1, 2, 2, [7, 8, 9]);
        Assert.Equal(64, ds.Sha256.Length);
        var sub = ds.Subset([2, 0]);
        Assert.Equal((2, 1, 2, 2), (sub.N, sub.C, sub.H, sub.W));
        Assert.Equal([9L, 7L], sub.Labels!);
        Numerics.AssertClose(expected: ds.GetImage(2), actual: sub.GetImage(0), atol: 0, rtol: 0);
        Assert.Equal(ds.Sha256, sub.Sha256);
        Assert.Throws<ArgumentException>(() => Dataset.FromPixels("mem", pixels, 2, 1, 2, 2));
        Assert.Throws<ArgumentException>(() => Dataset.FromPixels("mem", pixels, 3, 1, 2, 2, [1]));
    }
}
