using Microsoft.ML.OnnxRuntime;
using OnnxAudit.Runtime;

namespace OnnxAudit.Tests;

public class SmokeTests
{
    [Fact]
    public void OnnxRuntime_RunsReluModelFromLibOnnxTestdata()
    {
        var bytes = File.ReadAllBytes("/usr/share/libonnx-testdata/data/node/test_relu/model.onnx");
        using var session = SessionFactory.Create(bytes, RuntimeOptions.Default, "test_relu");
        var input = session.InputMetadata.First();
        var dims = input.Value.Dimensions;
        var n = dims.Aggregate(1, (a, b) => a * b);
        var data = Enumerable.Range(0, n).Select(i => i % 2 == 0 ? -1f : 2f).ToArray();
        using var value = OrtValue.CreateTensorValueFromMemory(data, dims.Select(d => (long)d).ToArray());
        using var outputs = session.Run(new RunOptions(), [input.Key], [value], [session.OutputNames[0]]);
        var result = outputs[0].GetTensorDataAsSpan<float>().ToArray();
        Assert.Equal(data.Select(v => Math.Max(v, 0f)), result);
        Assert.StartsWith("1.31", SessionFactory.OrtVersion);
    }
}
