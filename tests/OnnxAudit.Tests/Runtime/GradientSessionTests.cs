using OnnxAudit.Autodiff;
using OnnxAudit.Data;
using OnnxAudit.Onnx;
using OnnxAudit.Runtime;
using OnnxAudit.Tests.TestUtil;

using OnnxAudit.Tests.Autodiff;

namespace OnnxAudit.Tests.Runtime;

public class GradientSessionTests
{
    [Fact]
    public void Run_VaryingBatchAndParametersAsInputs_MatchesFreshSessions()
    {
        var model = OnnxModel.Load(RepoPaths.Model("fcn-512"));
        var names = FederatedGradient.FloatInitializers(model);
        var (x8, l8) = BundledModelGradientTests.Samples([3, 141, 592, 653, 589, 793, 238, 462]);
        var (x1, l1) = BundledModelGradientTests.Samples([17]);
        using var s = GradientSessions.Create(model, new GradientRequest(new SoftmaxCrossEntropyLoss(), names, ParametersAsInputs: true), new RuntimeOptions(IntraOpThreads: 1));
        var a8 = s.Run(x8, [8, 1, 28, 28], l8).Gradient("fc2.weight").ToArray();
        var a1 = s.Run(x1, [1, 1, 28, 28], l1).Gradient("fc2.weight").ToArray();
        var again8 = s.Run(x8, [8, 1, 28, 28], l8).Gradient("fc2.weight").ToArray();
        Assert.Equal(a8, again8);
        Assert.NotEqual(a8, a1);
        var fresh1 = FederatedGradient.Compute(model, x1, [1, 1, 28, 28], l1).Parameters.First(p => p.Name == "fc2.weight").Values;
        Numerics.AssertClose(expected: fresh1, actual: a1, atol: 1e-6, rtol: 1e-5, what: "batch 1 after batch 8");
        // feed halved weights of the last layer: the gradient w.r.t. its bias must change, and equal a model with those weights
        var w2 = TensorData.ToFloats(model.FindInitializer("fc2.weight")!).Select(v => v * 0.5f).ToArray();
        var fed = s.Run(x1, [1, 1, 28, 28], l1, parameters: new Dictionary<string, float[]> { ["fc2.weight"] = w2 }).Gradient("fc1.bias").ToArray();
        var edited = model.Clone();
        var t = edited.FindInitializer("fc2.weight")!;
        edited.Graph.Initializer.Remove(t);
        edited.Graph.Initializer.Add(TensorData.FromFloats("fc2.weight", TensorData.Dims(t), w2));
        var expected = FederatedGradient.Compute(edited, x1, [1, 1, 28, 28], l1).Parameters.First(p => p.Name == "fc1.bias").Values;
        Numerics.AssertClose(expected: expected, actual: fed, atol: 1e-7, rtol: 1e-5, what: "fed parameters");
    }

    [Fact]
    public void ExtraOutputs_ReturnIntermediateActivations()
    {
        var model = OnnxModel.Load(RepoPaths.Model("fcn-512"));
        var relu = model.Graph.Node.First(n => n.OpType == "Relu").Output[0];
        var (x, l) = BundledModelGradientTests.Samples([3, 141]);
        using var s = GradientSessions.Create(model, new GradientRequest(new SoftmaxCrossEntropyLoss(), ["input"], ExtraOutputs: [relu]));
        var run = s.Run(x, [2, 1, 28, 28], l);
        Assert.Equal([2L, 512], run.Dims(relu));
        Assert.All(run.Output(relu).ToArray(), v => Assert.True(v >= 0));
        Assert.Contains(run.Output(relu).ToArray(), v => v > 0);
    }

    [Fact]
    public void WriteNpy_WritesParametersLossAndBatch()
    {
        var model = OnnxModel.Load(RepoPaths.Model("lenet5"));
        var (x, l) = BundledModelGradientTests.Samples([17]);
        var result = FederatedGradient.Compute(model, x, [1, 1, 28, 28], l);
        var dir = RepoPaths.NewTempDir();
        GradientExport.WriteNpy(dir, result, [17], l);
        foreach (var p in result.Parameters)
        {
            var (data, shape) = NpyReader.ReadFloat32(Path.Combine(dir, GradientNames.Sanitize(p.Name) + ".npy"));
            Assert.Equal(p.Dims, shape);
            Assert.Equal(p.Values, data);
        }
        Assert.Equal(result.Loss, float.Parse(File.ReadAllText(Path.Combine(dir, "loss.txt")), System.Globalization.CultureInfo.InvariantCulture));
        Assert.Contains("\"indices\"", File.ReadAllText(Path.Combine(dir, "batch.json")));
        Assert.Equal("a_b_c", GradientNames.Sanitize("a/b:c"));
    }
}
