using OnnxAudit.Autodiff;
using OnnxAudit.Graph;
using OnnxAudit.Onnx;
using OnnxAudit.Runtime;
using OnnxAudit.Tests.TestUtil;

namespace OnnxAudit.Tests.Autodiff;

public sealed class StaticShapeSourceTests
{
    public static TheoryData<string> Models()
    {
        var data = new TheoryData<string>();
        foreach (var f in Directory.GetFiles(RepoPaths.Models, "*.onnx").Concat(Directory.GetFiles(Path.Combine(RepoPaths.Reference, "torchvision"), "*.onnx")).Order(StringComparer.Ordinal))
            data.Add(Path.GetRelativePath(RepoPaths.Root, f));
        return data;
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void Measure_StaticPass_EqualsOnnxRuntimeProbe_OnEveryTensor(string path)
    {
        var model = OnnxModel.Load(Path.Combine(RepoPaths.Root, path));
        var inputs = new[] { ModelEditor.DataInputInfo(model)! };
        var probe = new ShapeProbe(RuntimeOptions.Default).Measure(model, inputs, 1, out var probeBatch);
        var source = new StaticShapeSource(new ShapeProbe(RuntimeOptions.Default));
        var derived = source.Measure(model, inputs, 1, out var batch);
        Assert.False(source.UsedFallback, $"{path}: the static pass fell back to ONNX Runtime");
        Assert.Equal(probeBatch, batch);
        foreach (var (name, info) in probe)
        {
            Assert.True(derived.TryGetValue(name, out var d), $"{path}: '{name}' missing");
            Assert.Equal(info.Shape, d!.Shape);
            Assert.Equal(info.ElementType, d.ElementType);
            Assert.Equal(info.IsBatched, d.IsBatched);
            Assert.Equal(info.ElementsPerSample, d.ElementsPerSample);
        }
    }
}
