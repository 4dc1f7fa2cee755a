using System.Text.Json;
using OnnxAudit.Data;
using OnnxAudit.Errors;
using OnnxAudit.Onnx;
using OnnxAudit.Tests.TestUtil;

namespace OnnxAudit.Tests.Data;

public sealed class BundledSamplesTests
{
    private static string SampleImages => Path.Combine(RepoPaths.Samples, "fashion-mnist-test-2000-images-idx3-ubyte.gz");

    private static JsonElement ModelsJson()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(RepoPaths.Models, "models.json")));
        return doc.RootElement.Clone();
    }

    [Fact]
    public void Load_BundledSubset_MatchesModelsJsonCountsAndHash()
    {
        var meta = ModelsJson().GetProperty("samples");
        var ds = DatasetLoader.Load(SampleImages);
        Assert.Equal(meta.GetProperty("count").GetInt32(), ds.N);
        Assert.Equal(meta.GetProperty("images_sha256").GetString(), ds.Sha256);
        Assert.EndsWith("fashion-mnist-test-2000-labels-idx1-ubyte.gz", ds.LabelsSource);
        var perClass = meta.GetProperty("per_class").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        Assert.Equal(perClass, Enumerable.Range(0, 10).Select(c => ds.Labels!.Count(l => l == c)).ToArray());
    }

    [Fact]
    public void Load_BundledSubset_EqualsFirst2000OfT10k()
    {
        var subset = DatasetLoader.Load(SampleImages);
        var full = DatasetLoader.Load("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz", DataOptions.Default with { Limit = 2000 });
        Numerics.AssertClose(expected: full.Pixels, actual: subset.Pixels, atol: 0, rtol: 0);
        Assert.Equal(full.Labels!, subset.Labels!);
    }

    public static TheoryData<string> BundledModels()
    {
        var data = new TheoryData<string>();
        foreach (var m in ModelsJson().GetProperty("models").EnumerateArray()) data.Add(m.GetProperty("name").GetString()!);
        return data;
    }

    [Theory]
    [MemberData(nameof(BundledModels))]
    public void CheckFits_BundledModelInput_AcceptsSamplesRejectsRgb(string name)
    {
        var model = OnnxModel.Load(RepoPaths.Model(name));
        var dims = model.Graph.Input[0].Type.TensorType.Shape.Dim
            .Select(d => d.HasDimValue ? d.DimValue : (long?)null).ToArray();
        var ds = DatasetLoader.Load(SampleImages, DataOptions.Default with { Limit = 4 });
        ds.CheckFits(dims, name + ".onnx");
        var (_, batchDims, _) = ds.Batch([0, 1], dims);
        Assert.Equal(dims.Length, batchDims.Length);

        var rgb = DatasetLoader.Load(Path.Combine(RepoPaths.Reference, "data", "rgb_f4_nchw_4x3x5x6.npy"));
        var ex = Assert.Throws<DataFormatException>(() => rgb.CheckFits(dims, name + ".onnx"));
        Assert.Contains($"but model {name}.onnx expects", ex.Message);
    }
}
