namespace OnnxAudit.Autodiff.Rules;

/// <summary>Tile(repeats r): y viewed as [r_0, d_0, r_1, d_1, …]; dx = Σ over the r axes, reshaped to x.</summary>
internal sealed class TileRule : IGradientRule
{
    public string OpType => "Tile";

    public void Backward(BackwardContext c)
    {
        var e = c.E;
        var xs = c.Shape(c.X(0));
        var reps = c.Constants.Ints(c.X(1)) ?? throw c.Fail("repeats must be constant (an initializer, Constant node or static shape arithmetic)");
        var view = new List<long>();
        var axes = new List<long>();
        for (var i = 0; i < xs.Length; i++)
        {
            axes.Add(view.Count);
            view.Add(reps[i]);
            view.Add(xs[i]);
        }
        var g = e.ReshapeStatic(c.Dy(0)!, [.. view]);
        c.Add(0, e.ReshapeLike(e.ReduceSum(g, [.. axes], keepDims: false), c.X(0)));
    }
}
