using Google.Protobuf;
using OnnxAudit.Autodiff;
using OnnxAudit.Onnx;
using OnnxAudit.Runtime;
using OnnxAudit.Tests.Autodiff;
using OnnxAudit.Tests.TestUtil;
using Onnx;

namespace OnnxAudit.Tests.Runtime;

/// <summary>Issue 17 memory paths: the mapped importer, weights fed from the model's bytes, chunked gradients that
/// accumulate in the session. Each path is forced on a small bundled model and compared with the ordinary path.</summary>
public class LargeModelMemoryTests
{
    private static readonly int[] Batch = [3, 141, 592, 653, 589, 793, 238, 462];

    [Fact]
    public void MappedImporter_ModelSpanningSeveralWindows_EqualsParsedBytes()
    {
        // fcn-512 plus an unused 36 MB initializer, so the parser crosses two 16 MB window boundaries
        var model = OnnxModel.Load(RepoPaths.Model("fcn-512")).Clone();
        var big = new byte[36 << 20];
        new Random(5).NextBytes(big);
        model.Graph.Initializer.Add(new TensorProto { Name = "unused_big", DataType = (int)TensorProto.Types.DataType.Float, Dims = { big.Length / 4 }, RawData = ByteString.CopyFrom(big) });
        var dir = Directory.CreateTempSubdirectory("onnxaudit-mapped-");
        try
        {
            var path = Path.Combine(dir.FullName, "big.onnx");
            model.Save(path);
            var bytes = File.ReadAllBytes(path);
            Assert.True(bytes.Length > 2 * MappedModelFile.WindowBytes);
            var mapped = OnnxModel.Load(path);
            var parsed = OnnxModelReader.FromBytes(bytes, path, dir.FullName);
            Assert.Equal(parsed.Sha256, mapped.Sha256);
            Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes)), mapped.Sha256);
            Assert.Equal(bytes, mapped.ToBytes());
            Assert.Equal(big, mapped.FindInitializer("unused_big")!.RawData.ToByteArray());
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void WeightFeeds_ForcedOnFcn512_SameLogitsAndGradients()
    {
        var model = OnnxModel.Load(RepoPaths.Model("fcn-512"));
        var (x, labels) = BundledModelGradientTests.Samples(Batch);
        long[] dims = [8, 1, 28, 28];
        var runtime = new RuntimeOptions(IntraOpThreads: 1);
        float[] logits, fedLogits;
        using (var plain = new ModelSession(model, runtime)) logits = plain.RunAll(x, dims).Data;
        var expected = FederatedGradient.Compute(model, x, dims, labels, runtime);
        FederatedGradientResult fed;
        using (WeightFeeds.WithModelThreshold(0))
        {
            var (split, feeds) = WeightFeeds.Split(model);
            using (feeds)
            {
                // fc1.weight (784×512 floats, 1.6 MB) is fed; the small tensors stay initializers
                Assert.NotNull(feeds);
                Assert.Contains("fc1.weight", feeds!.Names);
                Assert.DoesNotContain(split.Graph.Initializer, t => t.Name == "fc1.weight");
                Assert.Contains(split.Graph.Input, i => i.Name == "fc1.weight");
            }
            using (var session = new ModelSession(model, runtime)) fedLogits = session.RunAll(x, dims).Data;
            fed = FederatedGradient.Compute(model, x, dims, labels, runtime);
        }
        Numerics.AssertClose(expected: logits, actual: fedLogits, atol: 1e-6, rtol: 1e-5, what: "logits with fed weights");
        Assert.Equal(expected.Loss, fed.Loss, 5);
        foreach (var (e, a) in expected.Parameters.Zip(fed.Parameters))
            Numerics.AssertClose(expected: e.Values, actual: a.Values, atol: 1e-6, rtol: 1e-5, what: $"gradient of {e.Name} with fed weights");
    }

    [Fact]
    public void GradientMatchingSession_ForcedFeedsOnFcn512_FedAndSameLossAndInputGradient()
    {
        // issue 17 (alexnet@64 report peaked at 11.8 GB): the second-order Inverting/DLG sessions now feed large weights
        // and run without an arena like the first-order ones; same loss and d loss/dx, across a batch-size change.
        var model = OnnxModel.Load(RepoPaths.Model("fcn-512"));
        var (x, labels) = BundledModelGradientTests.Samples(Batch);
        long[] dims = [8, 1, 28, 28];
        var runtime = new RuntimeOptions(IntraOpThreads: 1);
        var parameters = FederatedGradient.TrainableParameters(model);
        var observed = FederatedGradient.ComputeFor(model, x, dims, labels, runtime, parameters).Parameters.Select(p => p.Values).ToList();
        var dummy = x.Select((v, i) => 0.5f * v + 0.01f * (i % 7)).ToArray();
        (float Loss, float[] Grad, float Loss2, float[] Grad2, bool Fed) Run()
        {
            using var s = GradientMatchingSessions.Create(model, new GradientMatchingRequest(GradientDistance.Cosine, parameters, 1e-4), runtime);
            s.SetTargets(observed);
            var g = new float[dummy.Length];
            var loss = s.Run(dummy, 8, labels, g);
            var g2 = new float[784 * 2];
            var loss2 = s.Run(dummy.AsSpan(0, 784 * 2), 2, labels.AsSpan(0, 2), g2);
            return (loss, g, loss2, g2, s.FedWeights);
        }
        var plain = Run();
        Assert.False(plain.Fed);
        (float Loss, float[] Grad, float Loss2, float[] Grad2, bool Fed) fed;
        using (WeightFeeds.WithModelThreshold(0)) fed = Run();
        Assert.True(fed.Fed);
        Assert.Equal(plain.Loss, fed.Loss, 5);
        Assert.Equal(plain.Loss2, fed.Loss2, 5);
        Numerics.AssertClose(expected: plain.Grad, actual: fed.Grad, atol: 1e-7, rtol: 1e-4, what: "d loss/dx with fed weights");
        Numerics.AssertClose(expected: plain.Grad2, actual: fed.Grad2, atol: 1e-7, rtol: 1e-4, what: "d loss/dx with fed weights, batch 2");
    }

    [Theory]
    [InlineData("lenet5")]
    [InlineData("fcn-512")]
    public void ChunkedGradient_AccumulatedInSession_EqualsWholeBatch(string name)
    {
        var model = OnnxModel.Load(RepoPaths.Model(name));
        var (x, labels) = BundledModelGradientTests.Samples(Batch);
        long[] dims = [8, 1, 28, 28];
        var runtime = new RuntimeOptions(IntraOpThreads: 1);
        var whole = FederatedGradient.Compute(model, x, dims, labels, runtime);
        Assert.Equal(8, FederatedGradient.ChunkSize(model, 8, FederatedGradient.ActivationBudgetBytes));
        FederatedGradientResult chunked;
        using (FederatedGradient.WithActivationBudget(1))
        {
            // a 1-byte budget gives one sample per run: eight runs summed in the session's buffers, then averaged
            Assert.Equal(1, FederatedGradient.ChunkSize(model, 8, FederatedGradient.ActivationBudgetBytes));
            chunked = FederatedGradient.Compute(model, x, dims, labels, runtime);
        }
        Assert.Equal(whole.Loss, chunked.Loss, 5);
        Assert.Equal(whole.Parameters.Select(p => p.Name), chunked.Parameters.Select(p => p.Name));
        foreach (var (e, a) in whole.Parameters.Zip(chunked.Parameters))
            Numerics.AssertClose(expected: e.Values, actual: a.Values, atol: 1e-6, rtol: 1e-4, what: $"{name}: gradient of {e.Name}, chunks of 1 vs batch of 8");
        // one sample's gradient differs from the batch mean, so equality above is not vacuous
        var first = FederatedGradient.Compute(model, x[..784], [1, 1, 28, 28], labels[..1], runtime);
        var maxDiff = first.Parameters.Zip(whole.Parameters).Max(p => p.First.Values.Zip(p.Second.Values).Max(v => Math.Abs(v.First - v.Second)));
        Assert.True(maxDiff > 1e-3, $"{name}: one sample's gradient is within {maxDiff} of the batch mean");
    }

    [Fact]
    public void ChunkSize_DividesBatchAndForwardChunkCapsRequest()
    {
        var model = OnnxModel.Load(RepoPaths.Model("lenet5"));
        var perSample = FederatedGradient.ForwardBytesPerSample(model);
        Assert.True(perSample > 28 * 28 * 4, $"per-sample bytes {perSample}");
        // a budget of three chunks of 3 samples in a batch of 8: the largest divisor of 8 that fits is 2
        Assert.Equal(2, FederatedGradient.ChunkSize(model, 8, 3 * 3 * perSample));
        using (FederatedGradient.WithActivationBudget(5 * perSample))
            Assert.Equal(5, FederatedGradient.ForwardChunk(model, 256));
        Assert.Equal(256, FederatedGradient.ForwardChunk(model, 256));
    }
}
