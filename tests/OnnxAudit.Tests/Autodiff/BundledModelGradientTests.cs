using System.Text.Json;
using OnnxAudit.Autodiff;
using OnnxAudit.Data;
using OnnxAudit.Onnx;
using OnnxAudit.Runtime;
using OnnxAudit.Tests.TestUtil;

namespace OnnxAudit.Tests.Autodiff;

/// <summary>Bundled models vs PyTorch autograd fixtures written by tests/reference/make_gradients.py (float64 reference).</summary>
public class BundledModelGradientTests
{
    // why: agreement with PyTorch autograd within |a − e| ≤ 1e-5 + 1e-3·|e|.
    private const double Atol = 1e-5;
    private const double Rtol = 1e-3;

    public static TheoryData<string, int> Cases()
    {
        var d = new TheoryData<string, int>();
        foreach (var m in new[] { "fcn-512", "fcn-512-init", "fcn-deep", "lenet5", "cnn6", "splitnet" })
            foreach (var b in new[] { 1, 8 }) d.Add(m, b);
        return d;
    }

    internal static (float[] Images, long[] Labels) Samples(IReadOnlyList<int> indices)
    {
        var images = IdxReader.Read(Path.Combine(RepoPaths.Samples, "fashion-mnist-test-2000-images-idx3-ubyte.gz"), 3, out _);
        var labels = IdxReader.Read(Path.Combine(RepoPaths.Samples, "fashion-mnist-test-2000-labels-idx1-ubyte.gz"), 1, out _);
        var px = images.Dims[1] * images.Dims[2];
        var x = new float[indices.Count * px];
        for (var k = 0; k < indices.Count; k++)
            for (var i = 0; i < px; i++) x[k * px + i] = images.Data[indices[k] * px + i] / 255f;
        return (x, indices.Select(i => (long)labels.Data[i]).ToArray());
    }

    internal static void CheckModelMatchesFixture(OnnxModel model, JsonElement meta, string folder)
    {
        Assert.True(model.Sha256 == meta.GetProperty("model_sha256").GetString(),
            $"{model.Origin} changed since the fixtures in {folder} were made; rerun /usr/bin/python3 tests/reference/make_gradients.py");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Gradients_MatchPyTorchFixture(string name, int batch)
    {
        var folder = Path.Combine(RepoPaths.Reference, "gradients", name, "b" + batch);
        var meta = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "meta.json"))).RootElement;
        var model = OnnxModel.Load(RepoPaths.Model(name));
        CheckModelMatchesFixture(model, meta, folder);
        var indices = meta.GetProperty("indices").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        var (x, labels) = Samples(indices);
        Assert.Equal(meta.GetProperty("labels").EnumerateArray().Select(e => e.GetInt64()), labels);
        var input = meta.GetProperty("input").GetString()!;
        var wrt = FederatedGradient.FloatInitializers(model).Append(input).ToArray();
        using var session = GradientSessions.Create(model, new GradientRequest(new SoftmaxCrossEntropyLoss(), wrt), new RuntimeOptions(IntraOpThreads: 1));
        var run = session.Run(x, [batch, 1, 28, 28], labels);
        Numerics.AssertClose(expected: meta.GetProperty("loss").GetDouble(), actual: run.Loss, atol: Atol, rtol: Rtol, what: "loss");
        var checkedParams = 0;
        foreach (var p in meta.GetProperty("params").EnumerateObject())
        {
            var file = Path.Combine(folder, GradientNames.Sanitize(p.Name));
            var expected = NpyReader.ReadFloat32(file + ".npy").Data;
            var actual = run.Gradient(p.Name).ToArray();
            if (p.Value.GetProperty("sampled").GetBoolean())
            {
                var idx = NpyReader.ReadInt64(file + ".idx.npy").Data;
                actual = idx.Select(i => actual[i]).ToArray();
            }
            Numerics.AssertClose(expected: expected, actual: actual, atol: Atol, rtol: Rtol, what: $"{name} b{batch} d/d{p.Name}");
            checkedParams++;
        }
        Assert.Equal(wrt.Length - 1, checkedParams);
        var gx = NpyReader.ReadFloat32(Path.Combine(folder, "input.grad.npy")).Data;
        Numerics.AssertClose(expected: gx, actual: run.Gradient(input).ToArray(), atol: Atol, rtol: Rtol, what: $"{name} b{batch} d/d{input}");
    }

    [Fact]
    public void FeatureMatchingWithTv_InputGradient_MatchesPyTorchFixture()
    {
        var folder = Path.Combine(RepoPaths.Reference, "gradients", "lenet5-feature-tv");
        var meta = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "meta.json"))).RootElement;
        var model = OnnxModel.Load(RepoPaths.Model("lenet5"));
        CheckModelMatchesFixture(model, meta, folder);
        var tensor = meta.GetProperty("tensor").GetString()!;
        var (x, _) = Samples([meta.GetProperty("input_index").GetInt32()]);
        var target = NpyReader.ReadFloat32(Path.Combine(folder, "target.npy")).Data;
        var request = new GradientRequest(new SquaredErrorLoss(tensor), ["input"], TotalVariationWeight: meta.GetProperty("tv_weight").GetDouble());
        using var session = GradientSessions.Create(model, request, new RuntimeOptions(IntraOpThreads: 1));
        var run = session.Run(x, [1, 1, 28, 28], target: target);
        Numerics.AssertClose(expected: meta.GetProperty("loss").GetDouble(), actual: run.Loss, atol: Atol, rtol: Rtol, what: "loss");
        Numerics.AssertClose(expected: NpyReader.ReadFloat32(Path.Combine(folder, "input.grad.npy")).Data, actual: run.Gradient("input").ToArray(), atol: Atol, rtol: Rtol, what: "d/dinput");
    }
}
