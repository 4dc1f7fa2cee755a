using System.Text.Json;
using OnnxAudit.Audits.Exclusivity;
using OnnxAudit.Audits.GradientAttack;
using OnnxAudit.Data;
using OnnxAudit.Onnx;
using OnnxAudit.Progress;
using OnnxAudit.Tests.TestUtil;

namespace OnnxAudit.Tests.Audits.Exclusivity;

/// <summary>Agreement with tests/reference/exclusivity_reference.py (PyTorch, independent sampling and counting).</summary>
public class ExclusivityReferenceTests
{
    private static readonly Lazy<JsonDocument> Fixture = new(() =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(RepoPaths.Reference, "exclusivity_reference.json"))));

    private static readonly Lazy<Dataset> Samples = new(() =>
        DatasetLoader.LoadIdx(Path.Combine(RepoPaths.Samples, "fashion-mnist-test-2000-images-idx3-ubyte.gz")));

    internal static IReadOnlyList<HeadReluLayer> Layers(OnnxModel model) =>
        [.. FcnHead.Extract(model).Layers.Where(l => l.ReluOutput is not null).Select((l, i) => new HeadReluLayer(i + 1, l.ReluOutput!, l.Out))];

    private static (OnnxModel model, JsonElement fx, float[] x, long[] dims) Load(string name)
    {
        var model = OnnxModel.Load(RepoPaths.Model(name));
        var fx = Fixture.Value.RootElement.GetProperty("models").GetProperty(name);
        Assert.True(fx.GetProperty("sha256").GetString() == model.Sha256,
            $"{name}.onnx changed since the fixture was written: rerun tests/reference/exclusivity_reference.py");
        var ds = Samples.Value;
        return (model, fx, ds.Pixels.ToArray(), [ds.N, ds.C, ds.H, ds.W]);
    }

    [Theory]
    [InlineData("fcn-512-init")]
    [InlineData("fcn-512")]
    public void InsecureProportionAtM8_LiesInReferenceWilsonInterval(string name)
    {
        var (model, fx, x, dims) = Load(name);
        var r = ExclusivityAuditor.Run(model, x, dims, null, Layers(model),
            ExclusivityOptions.Default with { SweepSizes = [], SameClassBatches = false }, NullProgress.Instance);
        Assert.Equal(1000, r.Main.Insecure.Total);
        double lo = fx.GetProperty("insecure_low").GetDouble(), hi = fx.GetProperty("insecure_high").GetDouble();
        Assert.InRange(r.Main.Insecure.Proportion, lo, hi);
    }

    [Theory]
    [InlineData("fcn-512-init")]
    [InlineData("fcn-512")]
    [InlineData("fcn-deep")]
    public void ExplicitBatches_CountsAndStatesEqualReference(string name)
    {
        var (model, fx, x, dims) = Load(name);
        var layers = Layers(model);
        Assert.Equal(fx.GetProperty("widths").EnumerateArray().Select(v => v.GetInt32()), layers.Select(l => l.Width));
        var masks = ActivationMasks.Record(model, x, dims, layers, null, 256, NullProgress.Instance);
        var active = fx.GetProperty("active_counts_first_32").EnumerateArray().Select(a => a.EnumerateArray().Select(v => v.GetInt32()).ToArray()).ToArray();
        for (var l = 0; l < layers.Count; l++)
            Assert.Equal(active[l], Enumerable.Range(0, 32).Select(s => masks.ActiveCount(l, s)));
        var counter = new ExclusivityCounter(masks);
        foreach (var b in fx.GetProperty("explicit_batches").EnumerateArray())
        {
            var idx = b.GetProperty("indices").EnumerateArray().Select(v => v.GetInt32()).ToArray();
            var expected = b.GetProperty("counts").EnumerateArray().SelectMany(a => a.EnumerateArray().Select(v => v.GetInt32())).ToArray();
            var counts = new int[layers.Count * idx.Length];
            counter.Count(idx, counts);
            Assert.Equal(expected, counts);
            var state = ExclusivityCounter.Classify(counts, idx.Length, layers[0].Width, layers.Count);
            Assert.Equal(b.GetProperty("state").GetString(), state.ToString().ToLowerInvariant());
        }
    }
}
