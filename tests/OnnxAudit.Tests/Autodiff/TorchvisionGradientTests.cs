using System.Text.Json;
using OnnxAudit.Autodiff;
using OnnxAudit.Data;
using OnnxAudit.Onnx;
using OnnxAudit.Runtime;
using OnnxAudit.Tests.TestUtil;

namespace OnnxAudit.Tests.Autodiff;

/// <summary>Width-reduced torchvision classifiers (opset 17, dynamic batch, random weights, 3×32×32) against PyTorch
/// float64 autograd fixtures written by tests/reference/make_torchvision.py: loss, every parameter and the input gradient.</summary>
public class TorchvisionGradientTests
{
    // why: the acceptance bound of issue 17, |a − e| ≤ 1e-5 + 1e-3·|e|.
    private const double Atol = 1e-5;
    private const double Rtol = 1e-3;

    private static string Folder => Path.Combine(RepoPaths.Reference, "torchvision");

    /// <summary>Models whose gradient is known not to match yet, with the reason; the test then checks that the
    /// failure is still the stated one (so a fix or a new failure is noticed), never skips silently.</summary>
    private static readonly Dictionary<string, string> KnownFailures = new(StringComparer.Ordinal)
    {
    };

    private static readonly string[] Models = ["shufflenet_v2_small", "mnasnet_small", "mobilenet_v3_small_w025", "convnext_small", "vit_tiny", "resnet20_cifar",
        "vit_tiny_opset13", "shufflenet_v2_small_opset11"];

    public static TheoryData<string> Cases()
    {
        var d = new TheoryData<string>();
        foreach (var m in Models) d.Add(m);
        return d;
    }

    [Fact]
    public void Fixtures_ListEveryModelTheScriptWrites()
    {
        var onDisk = Directory.GetFiles(Folder, "*.onnx").Select(f => Path.GetFileNameWithoutExtension(f)).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(onDisk, Models.Order(StringComparer.Ordinal).ToArray());
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Gradients_MatchPyTorchFixture(string name)
    {
        if (KnownFailures.TryGetValue(name, out var reason))
        {
            var ex = Record.Exception(() => Check(name));
            Assert.True(ex is not null, $"{name} is listed as failing ({reason}) but now matches PyTorch: remove it from {nameof(KnownFailures)}");
            Assert.Contains(reason, ex.Message, StringComparison.Ordinal);
            return;
        }
        Check(name);
    }

    private static void Check(string name)
    {
        var folder = Path.Combine(Folder, name);
        var meta = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "meta.json"))).RootElement;
        var model = OnnxModel.Load(Path.Combine(Folder, name + ".onnx"));
        Assert.True(model.Sha256 == meta.GetProperty("model_sha256").GetString(),
            $"{model.Origin} changed since the fixtures in {folder} were made; rerun /usr/bin/python3 tests/reference/make_torchvision.py");
        var input = meta.GetProperty("input").GetString()!;
        var dims = meta.GetProperty("input_shape").EnumerateArray().Select(e => e.GetInt64()).ToArray();
        var labels = meta.GetProperty("labels").EnumerateArray().Select(e => e.GetInt64()).ToArray();
        var x = NpyReader.ReadFloat32(Path.Combine(folder, "input.npy")).Data;
        var parameters = meta.GetProperty("params").EnumerateObject().ToArray();
        var wrt = parameters.Select(p => p.Name).Append(input).ToArray();
        using var session = GradientSessions.Create(model, new GradientRequest(new SoftmaxCrossEntropyLoss(), wrt), new RuntimeOptions(IntraOpThreads: 1));
        var run = session.Run(x, dims, labels);
        Numerics.AssertClose(expected: meta.GetProperty("loss").GetDouble(), actual: run.Loss, atol: Atol, rtol: Rtol, what: $"{name} loss");
        foreach (var p in parameters)
        {
            var file = Path.Combine(folder, GradientNames.Sanitize(p.Name));
            var expected = NpyReader.ReadFloat32(file + ".npy").Data;
            var actual = run.Gradient(p.Name).ToArray();
            if (p.Value.GetProperty("sampled").GetBoolean())
            {
                var idx = NpyReader.ReadInt64(file + ".idx.npy").Data;
                actual = idx.Select(i => actual[i]).ToArray();
            }
            Numerics.AssertClose(expected: expected, actual: actual, atol: Atol, rtol: Rtol, what: $"{name} d/d{p.Name}");
        }
        var gx = NpyReader.ReadFloat32(Path.Combine(folder, "input.grad.npy")).Data;
        Numerics.AssertClose(expected: gx, actual: run.Gradient(input).ToArray(), atol: Atol, rtol: Rtol, what: $"{name} d/d{input}");
    }
}
