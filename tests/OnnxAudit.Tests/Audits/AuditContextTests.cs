using OnnxAudit.Audits;
using OnnxAudit.Data;
using OnnxAudit.Runtime;
using OnnxAudit.Tests.Audits.Exclusivity;

namespace OnnxAudit.Tests.Audits;

public class AuditContextTests
{
    private static AuditContext Context()
    {
        var model = TinyFcn.Random([12, 8, 3], seed: 4);
        var rng = new Random(1);
        var pixels = Enumerable.Range(0, 20 * 12).Select(_ => (float)rng.NextDouble()).ToArray();
        var data = Dataset.FromPixels("test", pixels, 20, 1, 3, 4, [.. Enumerable.Range(0, 20).Select(i => (long)(i % 3))]);
        return new AuditContext(model, ModelAnalysis.Analyze(model), data);
    }

    [Fact]
    public void Layout_FlatInput_ShapesImagesAsRows()
    {
        using var context = Context();

        Assert.Equal([20L, 12], context.InputDims);
        Assert.Equal([1L, 3, 4], context.ImageDims);
    }

    [Fact]
    public void Accuracy_SecondCall_ReusesResultAndSession()
    {
        using var context = Context();
        var first = context.Accuracy();

        var second = context.Accuracy();

        Assert.Same(first, second);
        Assert.Same(context.Session(context.Model), context.Session(context.Model));
        Assert.Equal(20, first.Total);
    }

    [Fact]
    public void FederatedGradient_ManyBatches_OneGradientSession()
    {
        using var context = Context();
        var gradient = context.FederatedGradient(context.Model);

        for (var b = 0; b < 3; b++) gradient(context.Images[(b * 12)..((b + 4) * 12)], [4, 12], [0, 1, 2, 0]);

        // the session exists: asking again must not build a gradient graph
        var session = context.GradientSession(context.Model, "federated", () => throw new InvalidOperationException("rebuilt"));
        Assert.NotNull(session);
    }

    [Fact]
    public void ReleaseSessions_DisposesHeldSessionsKeepsResults()
    {
        // issue 17: the pipeline releases a phase's sessions before the next phase builds its own
        using var context = Context();
        var accuracy = context.Accuracy();
        var session = context.Session(context.Model);
        var gradient = context.GradientSession(context.Model, "federated", () => new OnnxAudit.Autodiff.GradientRequest(new OnnxAudit.Autodiff.SoftmaxCrossEntropyLoss(), OnnxAudit.Autodiff.FederatedGradient.FloatInitializers(context.Model)));
        Assert.Equal(2, context.SessionCount);

        context.ReleaseSessions();

        Assert.Equal(0, context.SessionCount);
        Assert.Throws<ObjectDisposedException>(() => session.RunAll(context.Images, context.InputDims));
        Assert.Same(accuracy, context.Accuracy());
        Assert.NotSame(session, context.Session(context.Model));
        Assert.NotSame(gradient, context.GradientSession(context.Model, "federated", () => new OnnxAudit.Autodiff.GradientRequest(new OnnxAudit.Autodiff.SoftmaxCrossEntropyLoss(), OnnxAudit.Autodiff.FederatedGradient.FloatInitializers(context.Model))));
    }

    [Fact]
    public void FederatedGradient_SameAsFreshComputation()
    {
        using var context = Context();
        var batch = context.Images[..(4 * 12)];
        long[] labels = [0, 1, 2, 0];

        var reused = context.FederatedGradient(context.Model)(batch, [4, 12], labels);
        var fresh = OnnxAudit.Autodiff.FederatedGradient.Compute(context.Model, batch, [4, 12], labels);

        foreach (var p in fresh.Parameters) Assert.Equal(p.Values, reused[p.Name]);
    }
}
