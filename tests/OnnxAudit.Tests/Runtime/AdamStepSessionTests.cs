using OnnxAudit.Audits.Federated;
using OnnxAudit.Audits.SplitInversion;
using OnnxAudit.Tests.Autodiff;
using OnnxAudit.Autodiff;
using OnnxAudit.Graph;
using OnnxAudit.Onnx;
using OnnxAudit.Runtime;
using OnnxAudit.Tests.Audits.SplitInversion;
using OnnxAudit.Tests.TestUtil;

namespace OnnxAudit.Tests.Runtime;

/// <summary>Issue 16 item 5: the white-box loop with Adam, the per-image gradient scale and the clamp inside the graph
/// (<see cref="AdamStepSession"/>; the CUDA path) equals the host loop, on the CPU provider and under the emulated
/// device binding (host inputs uploaded at bind time, state ping-ponged between device sets).</summary>
public sealed class AdamStepSessionTests
{
    private static readonly RuntimeOptions Host = new(IntraOpThreads: 1) { AdamInGraph = false };
    private static readonly RuntimeOptions InGraph = new(IntraOpThreads: 1) { AdamInGraph = true };
    private static readonly RuntimeOptions InGraphDevice = new(IntraOpThreads: 1) { AdamInGraph = true, EmulateDeviceBinding = true };

    private static (OnnxModel Model, SplitPoint Point, float[] Target) Split(string model, string label, int n)
    {
        var m = OnnxModel.Load(RepoPaths.Model(model));
        var p = ModelAnalysis.Analyze(m).SplitPoints.First(s => s.ProducerLabel == label);
        var (x, dims, _) = ModelSplitterTests.Samples(n).Batch([.. Enumerable.Range(0, n)]);
        using var f1 = new ModelSession(ModelSplitter.Split(m, p).Prefix, Host);
        return (m, p, f1.RunAll(x, dims).Data);
    }

    [Theory]
    [InlineData("lenet5", "relu")]
    [InlineData("splitnet", "relu_3")]
    public void WhiteBox_InGraphAdam_BitIdenticalToHostLoop_AndUnderTheDeviceProtocol(string model, string label)
    {
        var (m, p, target) = Split(model, label, 2);
        var hyper = WhiteBoxHyperparameters.Defaults(DepthClass.Relu2);
        using var host = new WhiteBoxAttack(m, p.Tensor, 2, (1, 28, 28), hyper, Host);
        using var graph = new WhiteBoxAttack(m, p.Tensor, 2, (1, 28, 28), hyper, InGraph);
        using var device = new WhiteBoxAttack(m, p.Tensor, 2, (1, 28, 28), hyper, InGraphDevice);
        var copied = host.RunWithCopies(target, iterations: 12);
        var a = graph.Run(target, iterations: 12);
        var b = device.Run(target, iterations: 12);
        Assert.Equal(copied.Images, a.Images);
        Assert.Equal(copied.InitialLoss, a.InitialLoss);
        Assert.Equal(copied.FinalLoss, a.FinalLoss);
        Assert.Equal(copied.Images, b.Images);
        Assert.Equal(copied.FinalLoss, b.FinalLoss);
        Assert.NotEqual(copied.InitialLoss, copied.FinalLoss);
        // a second run restarts from the constant start; another λ_TV (fed input) matches the host loop too
        Assert.Equal(a.Images, graph.Run(target, iterations: 12).Images);
        var tv0 = host.Run(target, iterations: 5, tvWeight: 0);
        Assert.NotEqual(a.Images, graph.Run(target, iterations: 12, tvWeight: 0).Images);
        Assert.Equal(tv0.Images, device.Run(target, iterations: 5, tvWeight: 0).Images);
        Assert.Equal(host.Run(target, iterations: 1).Images, device.Run(target, iterations: 1).Images);
    }

    [Fact]
    public void WhiteBox_InGraphAdam_PlateauStopAtTheSameIteration()
    {
        // lenet5 conv1 at 1,000 iterations (the plateau stop's minimum budget): the window sums come from the graph
        var (m, p, target) = Split("lenet5", "conv1", 1);
        var hyper = WhiteBoxHyperparameters.Defaults(DepthClass.Conv1);
        using var host = new WhiteBoxAttack(m, p.Tensor, 1, (1, 28, 28), hyper, Host);
        using var device = new WhiteBoxAttack(m, p.Tensor, 1, (1, 28, 28), hyper, InGraphDevice);
        var h = host.Run(target, iterations: WhiteBoxAttack.PlateauMinIterations);
        var d = device.Run(target, iterations: WhiteBoxAttack.PlateauMinIterations);
        Assert.Equal(h.Iterations, d.Iterations);
        Assert.Equal(h.Plateaued, d.Plateaued);
        Assert.Equal(h.FinalLoss, d.FinalLoss);
        Assert.Equal(h.Images, d.Images);
    }

    [Fact]
    public void Session_ReadStepsCarryTheState_AndTheEmulatedUploadIsRefreshed()
    {
        var (m, p, target) = Split("lenet5", "conv1", 1);
        var request = new GradientRequest(new SquaredErrorLoss(p.Tensor), [ModelEditor.DataInputInfo(m)!.Name]);
        var gm = GradientGraphBuilder.Build(m, request);
        var bindings = GradientSessions.Bindings(m, request);
        var x = bindings.DataInput;
        using var s = new AdamStepSession(gm, bindings, [x], new AdamStep(0.05, Clamp01: true, PerSampleScale: true), InGraphDevice, [1, 1, 28, 28]);
        Assert.DoesNotContain(s.Model.Graph.Output, o => o.Name == bindings.GradientOutputs[x]);
        var x0 = Enumerable.Repeat(0.5f, 784).ToArray();
        s.Begin(new Dictionary<string, float[]> { [x] = x0 }, 5, [1f]);
        s.SetData([1, 1, 28, 28], default, target: target);
        Assert.Throws<InvalidOperationException>(() => s.Loss);
        var atStart = s.Evaluate();
        s.Step(StepRead.Loss);
        var first = s.Loss;
        Assert.Equal(atStart, first);
        Assert.Equal(first, s.LossSum);
        Assert.Throws<InvalidOperationException>(() => s.Values(x));
        s.ResetLossSum();
        s.Step(StepRead.All);
        Assert.Equal(s.Loss, s.LossSum);
        Assert.True(s.Loss < first, $"loss {s.Loss} after one step, {first} before");
        var afterTwo = s.Values(x).ToArray();
        // an evaluation leaves the state alone; the next step starts from the host set the last step wrote
        var evaluated = s.Evaluate();
        Assert.Equal(afterTwo, s.Values(x).ToArray());
        s.Step(StepRead.Loss);
        Assert.Equal(evaluated, s.Loss);
        Assert.Equal(3, s.StepsTaken);
        s.Step(StepRead.None);
        Assert.Throws<InvalidOperationException>(() => s.Loss);
        // the last step runs a binding used before (device set → host set 1): it must upload nothing stale
        s.Step(StepRead.All);
        Assert.Equal(5, s.StepsTaken);
        Assert.Throws<InvalidOperationException>(() => s.Step(StepRead.None));
        Assert.All(s.Values(x).ToArray(), v => Assert.InRange(v, 0f, 1f));
        Assert.NotEqual(afterTwo, s.Values(x).ToArray());
    }

    /// <summary>A small decoder 4 → 1×8×8 (squared error) and lenet5's fc layers (cross-entropy with labels): the
    /// in-graph trainer takes the same steps, stops at the same check and returns the same parameters as the host loop.</summary>
    [Theory]
    [InlineData(false, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public void Trainer_InGraphAdam_SameParametersAndStopAsTheHostLoop(bool crossEntropy, bool device)
    {
        OnnxModel model;
        GradientRequest request;
        var rng = new Random(7);
        List<TrainingBatch> batches, heldOut;
        if (crossEntropy)
        {
            model = OnnxModel.Load(RepoPaths.Model("lenet5"));
            var names = FederatedNames(model);
            request = new GradientRequest(new SoftmaxCrossEntropyLoss(), names, ParametersAsInputs: true);
            var data = ModelSplitterTests.Samples(40);
            TrainingBatch Rows(int from, int n)
            {
                var (x, dims, y) = data.Batch([.. Enumerable.Range(from, n)]);
                return new TrainingBatch(x, dims, y, null);
            }
            batches = [.. Enumerable.Range(0, 6).Select(i => Rows(i * 4, 4))];
            heldOut = [Rows(24, 8), Rows(32, 3)];
        }
        else
        {
            var (g, _) = InverseNetwork.Build([1, 4], (1, 8, 8), new Random(3));
            model = g;
            request = new GradientRequest(new SquaredErrorLoss(InverseNetwork.Output), InverseNetwork.ParameterNames(g), ParametersAsInputs: true);
            TrainingBatch Make(int b)
            {
                var z = new float[b * 4];
                var x = new float[b * 64];
                for (var i = 0; i < z.Length; i++) z[i] = (float)rng.NextDouble();
                for (var k = 0; k < b; k++)
                    for (var p = 0; p < 64; p++) x[k * 64 + p] = 0.2f + 0.6f * z[k * 4 + p % 4];
                return new TrainingBatch(z, [b, 4], null, x);
            }
            batches = [.. Enumerable.Range(0, 7).Select(_ => Make(8))];
            heldOut = [Make(8), Make(5)];
        }
        var budget = new TrainingBudget(40, 6, 2, 0.05);
        var options = (device ? InGraphDevice : InGraph);
        var initial = GradientSessions.Bindings(model, request).ParameterInputs.ToDictionary(p => p.Name, p => p.Values, StringComparer.Ordinal);
        var hostParameters = initial.ToDictionary(p => p.Key, p => p.Value.ToArray(), StringComparer.Ordinal);
        var graphParameters = initial.ToDictionary(p => p.Key, p => p.Value.ToArray(), StringComparer.Ordinal);
        using var hostSession = GradientSessions.Create(model, request, Host);
        using var graphSession = GradientSessions.Create(model, request, options);
        var h = Trainer.Train(hostSession, hostParameters, i => batches[i % batches.Count], heldOut, budget, 1e-2);
        var g2 = Trainer.Train(graphSession, graphParameters, i => batches[i % batches.Count], heldOut, budget, 1e-2);
        Assert.Equal(h.Steps, g2.Steps);
        Assert.Equal(h.StoppedEarly, g2.StoppedEarly);
        Assert.Equal(h.BestStep, g2.BestStep);
        Assert.Equal(h.BestHeldOutLoss, g2.BestHeldOutLoss);
        Assert.Equal(h.FirstLoss, g2.FirstLoss, 1e-9 * Math.Abs(h.FirstLoss));
        Assert.Equal(h.LastLoss, g2.LastLoss, 1e-9 * Math.Abs(h.LastLoss));
        Assert.True(h.Steps > 12, $"{h.Steps} steps: the toy stopped too early to compare");
        foreach (var (name, values) in hostParameters)
        {
            Assert.Equal(values, graphParameters[name]);
            Assert.NotEqual(initial[name], values);
        }
        // without held-out images: the whole budget, the last step's parameters
        var hp = initial.ToDictionary(p => p.Key, p => p.Value.ToArray(), StringComparer.Ordinal);
        var gp = initial.ToDictionary(p => p.Key, p => p.Value.ToArray(), StringComparer.Ordinal);
        var hn = Trainer.Train(hostSession, hp, i => batches[i % batches.Count], [], budget with { MaxSteps = 9 }, 1e-2);
        var gn = Trainer.Train(graphSession, gp, i => batches[i % batches.Count], [], budget with { MaxSteps = 9 }, 1e-2);
        Assert.Equal((hn.Steps, hn.BestStep), (gn.Steps, gn.BestStep));
        Assert.Equal(hn.LastLoss, gn.LastLoss, 1e-9 * Math.Abs(hn.LastLoss));
        foreach (var (name, values) in hp) Assert.Equal(values, gp[name]);
    }

    private static string[] FederatedNames(OnnxModel model) =>
        [.. FederatedGradient.FloatInitializers(model).Where(n => n.StartsWith("fc", StringComparison.Ordinal))];

    [Theory]
    [InlineData("fcn-512", false)]
    [InlineData("lenet5", true)]
    public void Inverting_InGraphSignedAdam_SameReconstructionAsTheHostLoop(string name, bool device)
    {
        var model = OnnxModel.Load(RepoPaths.Model(name));
        var (x, l) = BundledModelGradientTests.Samples([3, 141]);
        var options = new InvertingOptions(Iterations: 9, Restarts: 2);
        using var host = new GradientInversion(model, options, null, Host);
        using var graph = new GradientInversion(model, options, null, device ? InGraphDevice : InGraph);
        var observed = FederatedGradient.ComputeFor(model, x, [2, 1, 28, 28], l, Host, host.Parameters).Parameters.Select(p => p.Values).ToList();
        var a = host.RunInverting(observed, l);
        var b = graph.RunInverting(observed, l);
        Assert.Equal(a.Images, b.Images);
        Assert.Equal(a.FinalLoss, b.FinalLoss);
        Assert.Equal(a.Evaluations, b.Evaluations);
        // the step session is kept for the batch size: a second call (other targets) matches too
        var observed2 = observed.Select(o => o.Select(v => v * 0.5f).ToArray()).ToList();
        Assert.Equal(host.RunInverting(observed2, l).Images, graph.RunInverting(observed2, l).Images);
    }

    [Fact]
    public void Inverting_InGraph_WithFedWeights_SameReconstruction()
    {
        // fcn-512's fc1 weight (1.6 MB) is fed from the model's bytes (WeightFeeds) once the model threshold is lowered
        using var _ = WeightFeeds.WithModelThreshold(1);
        var model = OnnxModel.Load(RepoPaths.Model("fcn-512"));
        var (x, l) = BundledModelGradientTests.Samples([589]);
        var options = new InvertingOptions(Iterations: 4, Restarts: 1);
        using var host = new GradientInversion(model, options, null, Host);
        using var graph = new GradientInversion(model, options, null, InGraphDevice);
        var observed = FederatedGradient.ComputeFor(model, x, [1, 1, 28, 28], l, Host, host.Parameters).Parameters.Select(p => p.Values).ToList();
        Assert.Equal(host.RunInverting(observed, l).Images, graph.RunInverting(observed, l).Images);
    }
}
