using OnnxAudit.Errors;
using OnnxAudit.Runtime;
using OnnxAudit.Tests.Audits.Exclusivity;

namespace OnnxAudit.Tests.Runtime;

public class ModelSessionTests
{
    [Fact]
    public void RunAll_ChunksAlongBatch_SameAsOneChunk()
    {
        var model = TinyFcn.Random([6, 5, 3], seed: 2);
        var x = Enumerable.Range(0, 7 * 6).Select(i => (float)Math.Sin(i)).ToArray();
        using var session = new ModelSession(model);

        var (whole, dims) = session.RunAll(x, [7, 6], chunk: 7);
        var (chunked, _) = session.RunAll(x, [7, 6], chunk: 3);

        Assert.Equal([3L], dims);
        Assert.Equal(whole, chunked);
    }

    [Fact]
    public void Run_IntermediateOutputs_ReturnedInRequestedOrder()
    {
        var model = TinyFcn.Random([6, 5, 3], seed: 2);
        var x = new float[2 * 6];
        using var session = new ModelSession(model, null, ["logits", "relu1_out"]);
        float[][]? got = null;

        session.Run(x, [2, 6], 2, (_, _, outputs) => got = outputs);

        Assert.Equal(2 * 3, got![0].Length);
        Assert.Equal(2 * 5, got[1].Length);
    }

    [Fact]
    public void Run_WrongInputRank_ThrowsOnnxAuditExceptionNamingModelAndInput()
    {
        var model = TinyFcn.Random([6, 5, 3], seed: 2);
        using var session = new ModelSession(model);

        var ex = Assert.Throws<OnnxAuditException>(() => session.RunAll(new float[2 * 6], [2, 1, 2, 3]));

        Assert.Contains("tiny-fcn", ex.Message, StringComparison.Ordinal);
        Assert.Contains("input 'input' of shape [2, 1, 2, 3]", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Constructor_UnknownTensor_ThrowsModelLoadException()
    {
        var model = TinyFcn.Random([6, 5, 3], seed: 2);

        var ex = Assert.Throws<ModelLoadException>(() => new ModelSession(model, null, ["nope"]));

        Assert.Contains("'nope' is not produced by any node", ex.Message, StringComparison.Ordinal);
    }
}
