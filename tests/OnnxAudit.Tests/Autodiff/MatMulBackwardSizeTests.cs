using OnnxAudit.Autodiff;
using static OnnxAudit.Tests.Autodiff.OpHarness;

namespace OnnxAudit.Tests.Autodiff;

/// <summary>The MatMul rule's weight gradient for a batched A and a 2-D B (ViT's projections: A = [tokens, M, 768]) stays
/// within the sizes of the operands and the output: no [.., K, N] product per batch entry.</summary>
public class MatMulBackwardSizeTests
{
    [Fact]
    public void BatchedTimes2D_NoIntermediateLargerThanTheOperands()
    {
        // A [8, 2, 4] · B [4, 16]: the batched form MatMul(Aᵀ, dY) has 8 × 4 × 16 = 512 elements; A, B and Y have 64, 64, 256.
        var c = new OpCase("MatMul_size", "MatMul", ["a", "b"], [("a", [8, 2, 4]), ("b", [4, 16])], [], []);
        var graph = GradientGraphBuilder.Build(Model(c), MseRequest(c));
        var g = graph.Graph;
        var shapes = ShapeInference.Infer(g, 17, new ConstantTable(g));
        var largest = g.Node.SelectMany(n => n.Output).Where(shapes.ContainsKey)
            .Select(o => (o, Elements: shapes[o].Aggregate(1L, (x, y) => x * Math.Abs(y)))).MaxBy(t => t.Elements);
        Assert.True(largest.Elements <= 256, $"{largest.o} has {largest.Elements} elements (> 256 of the largest operand or output)");
    }
}
