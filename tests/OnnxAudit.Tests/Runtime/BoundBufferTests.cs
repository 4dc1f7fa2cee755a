using OnnxAudit.Audits;
using OnnxAudit.Audits.Federated;
using OnnxAudit.Audits.SplitInversion;
using OnnxAudit.Autodiff;
using OnnxAudit.Graph;
using OnnxAudit.Onnx;
using OnnxAudit.Runtime;
using OnnxAudit.Tests.Audits.SplitInversion;
using OnnxAudit.Tests.Autodiff;
using OnnxAudit.Tests.TestUtil;

namespace OnnxAudit.Tests.Runtime;

/// <summary>Issue 16 item 3: the training loops keep their state in the sessions' bound buffers (no copy per step), and
/// the CUDA binding protocol (inputs re-bound before every run) is exercised on the CPU provider.</summary>
public sealed class BoundBufferTests
{
    private static readonly RuntimeOptions Cpu = new(IntraOpThreads: 1);
    private static readonly RuntimeOptions DeviceProtocol = new(IntraOpThreads: 1) { EmulateDeviceBinding = true };

    private static (OnnxModel Model, SplitPoint Point, float[] Target) Relu(int n)
    {
        var m = OnnxModel.Load(RepoPaths.Model("lenet5"));
        var p = ModelAnalysis.Analyze(m).SplitPoints.First(s => s.ProducerLabel == "relu");
        var (x, dims, _) = ModelSplitterTests.Samples(n).Batch([.. Enumerable.Range(0, n)]);
        using var f1 = new ModelSession(ModelSplitter.Split(m, p).Prefix, Cpu);
        return (m, p, f1.RunAll(x, dims).Data);
    }

    [Fact]
    public void WhiteBox_BoundLoop_BitIdenticalToCopyingLoop_AndUnderTheDeviceProtocol()
    {
        var (m, p, target) = Relu(2);
        var hyper = WhiteBoxHyperparameters.Defaults(DepthClass.Relu2);
        using var attack = new WhiteBoxAttack(m, p.Tensor, 2, (1, 28, 28), hyper, Cpu);
        using var device = new WhiteBoxAttack(m, p.Tensor, 2, (1, 28, 28), hyper, DeviceProtocol);
        var copied = attack.RunWithCopies(target, iterations: 12);
        var bound = attack.Run(target, iterations: 12);
        var viaDevice = device.Run(target, iterations: 12);
        Assert.Equal(copied.Images, bound.Images);
        Assert.Equal(copied.FinalLoss, bound.FinalLoss);
        Assert.Equal(copied.Images, viaDevice.Images);
        // a second run on the same session restarts from the constant start (the bound buffer is re-filled)
        Assert.Equal(bound.Images, attack.Run(target, iterations: 12).Images);
        // another λ_TV through the fed input still changes the result
        Assert.NotEqual(bound.Images, attack.Run(target, iterations: 12, tvWeight: 0).Images);
        Assert.Equal(attack.RunWithCopies(target, iterations: 12, tvWeight: 0).Images, attack.Run(target, iterations: 12, tvWeight: 0).Images);
    }

    [Fact]
    public void GradientSession_ParameterArraysAreBoundNotCopied_AndBatchSizesKeepTheirBuffers()
    {
        var model = OnnxModel.Load(RepoPaths.Model("fcn-512"));
        var names = FederatedGradient.FloatInitializers(model);
        var (x8, l8) = BundledModelGradientTests.Samples([3, 141, 592, 653, 589, 793, 238, 462]);
        var (x1, l1) = BundledModelGradientTests.Samples([17]);
        var request = new GradientRequest(new SoftmaxCrossEntropyLoss(), names, ParametersAsInputs: true);
        using var s = GradientSessions.Create(model, request, Cpu);
        using var d = GradientSessions.Create(model, request, DeviceProtocol);
        var w2 = TensorData.ToFloats(model.FindInitializer("fc2.weight")!);
        var fed = new Dictionary<string, float[]> { ["fc2.weight"] = w2 };
        var before = s.Run(x8, [8, 1, 28, 28], l8, parameters: fed).Gradient("fc1.bias").ToArray();
        ref var buffer8 = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(s.InputBuffer([8, 1, 28, 28]));
        s.Run(x1, [1, 1, 28, 28], l1);
        // the caller's array is read at every later run: halve it in place, no parameters argument
        for (var i = 0; i < w2.Length; i++) w2[i] *= 0.5f;
        var halved = s.Run(x8, [8, 1, 28, 28], l8).Gradient("fc1.bias").ToArray();
        Assert.True(System.Runtime.CompilerServices.Unsafe.AreSame(ref buffer8, ref System.Runtime.InteropServices.MemoryMarshal.GetReference(s.InputBuffer([8, 1, 28, 28]))),
            "batch 8's input buffer was re-allocated after a batch-1 run");
        Assert.NotEqual(before, halved);
        var fresh = s.Run(x8, [8, 1, 28, 28], l8, parameters: new Dictionary<string, float[]> { ["fc2.weight"] = [.. w2] }).Gradient("fc1.bias").ToArray();
        Assert.Equal(fresh, halved);
        // the device protocol (re-bind before every run) sees the in-place change too
        var dw = TensorData.ToFloats(model.FindInitializer("fc2.weight")!);
        d.Run(x8, [8, 1, 28, 28], l8, parameters: new Dictionary<string, float[]> { ["fc2.weight"] = dw });
        for (var i = 0; i < dw.Length; i++) dw[i] *= 0.5f;
        Assert.Equal(halved, d.Run(x8, [8, 1, 28, 28], l8).Gradient("fc1.bias").ToArray());
        Assert.Throws<ArgumentException>(() => s.InputBuffer([8, 784]));
        // more batch sizes than are cached: batch 8's set is dropped and rebuilt, with the same results
        var (x3, l3) = BundledModelGradientTests.Samples([1, 2, 3]);
        var (x2, l2) = BundledModelGradientTests.Samples([4, 5]);
        s.Run(x3, [3, 1, 28, 28], l3);
        s.Run(x2, [2, 1, 28, 28], l2);
        s.Run(x1, [1, 1, 28, 28], l1);
        Assert.False(System.Runtime.CompilerServices.Unsafe.AreSame(ref buffer8, ref System.Runtime.InteropServices.MemoryMarshal.GetReference(s.InputBuffer([8, 1, 28, 28]))),
            $"more than {GradientSession.CachedBatchSizes} batch sizes stay cached");
        Assert.Equal(halved, s.Run(x8, [8, 1, 28, 28], l8).Gradient("fc1.bias").ToArray());
    }

    [Fact]
    public void Inverting_SameUnderTheDeviceProtocol_AndBestLossIsTheReturnedImagesLoss()
    {
        var model = OnnxModel.Load(RepoPaths.Model("fcn-512"));
        var (x, l) = BundledModelGradientTests.Samples([3, 141]);
        var options = new InvertingOptions(Iterations: 6, Restarts: 2);
        using var inv = new GradientInversion(model, options, null, Cpu);
        using var dev = new GradientInversion(model, options, null, DeviceProtocol);
        var observed = FederatedGradient.ComputeFor(model, x, [2, 1, 28, 28], l, Cpu, inv.Parameters).Parameters.Select(p => p.Values).ToList();
        var a = inv.RunInverting(observed, l);
        var b = dev.RunInverting(observed, l);
        Assert.Equal(a.Images, b.Images);
        Assert.Equal(a.FinalLoss, b.FinalLoss);
        // the matching loss of the returned images, through the copying Run, is the loss the bound loop reported
        using var s = GradientMatchingSessions.Create(model, new GradientMatchingRequest(GradientDistance.Cosine, inv.Parameters, options.TvWeight), Cpu);
        s.SetTargets(observed);
        var g = new float[a.Images.Length];
        var bestIsAFinalIterate = s.Run(a.Images, 2, l, g);
        Assert.Equal((float)a.FinalLoss, bestIsAFinalIterate);
    }
}
