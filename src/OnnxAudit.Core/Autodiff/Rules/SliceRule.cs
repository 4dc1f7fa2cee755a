namespace OnnxAudit.Autodiff.Rules;

/// <summary>
/// Slice (opset ≥ 10: starts, ends, axes, steps as constant or folded inputs; negative indices and steps): dx is dy
/// put back at the selected positions and zero elsewhere. Per sliced axis with k selected elements: a negative step is
/// first reversed (Slice step −1) so the positions ascend; a step s &gt; 1 interleaves s − 1 zeros after each element
/// (Reshape [.., k, 1, ..] → Pad → Reshape [.., k·s, ..]); then Pad/Slice place the block at the first position.
/// </summary>
internal sealed class SliceRule : IGradientRule
{
    public string OpType => "Slice";

    public void Backward(BackwardContext c)
    {
        var e = c.E;
        var xs = c.Shape(c.X(0));
        (int Axis, long Start, long End, long Step)[] spec;
        try { spec = ShapeInference.SliceSpec(c.Node, c.Constants, xs); }
        catch (InvalidOperationException ex) { throw c.Fail("starts, ends, axes and steps must be constant or computable from static shapes (" + ex.Message + ")"); }
        var g = c.Dy(0)!;
        var cur = (long[])c.Shape(c.Y(0)).Clone();
        var rank = xs.Length;
        foreach (var (axis, start, end, step) in spec)
        {
            if (xs[axis] < 0)
            {
                if (ShapeInference.IsWholeBatch(start, end, step)) continue;
                throw c.Fail("slicing the batch axis is not supported by the gradient builder");
            }
            var d = xs[axis];
            var k = ShapeFolding.SliceCount(start, end, step);
            if (k == 0)
            {
                c.Add(0, e.ZerosLike(c.X(0)));
                return;
            }
            var first = start;
            var s = step;
            if (s < 0)
            {
                g = e.SliceSteps(g, [-1], [long.MinValue], [axis], [-1]);
                first = start + (k - 1) * s;
                s = -s;
            }
            var len = k;
            if (s > 1)
            {
                long[] split = [.. cur[..axis], k, 1, .. cur[(axis + 1)..]];
                g = e.ReshapeStatic(g, split);
                var pads = new long[2 * (rank + 1)];
                pads[axis + 1 + rank + 1] = s - 1;
                g = e.Pad(g, pads);
                len = k * s;
                cur[axis] = len;
                g = e.ReshapeStatic(g, cur);
            }
            // place [first, first + len) inside [0, d): pad before, then pad or crop after
            var after = d - first - len;
            var p = new long[2 * rank];
            p[axis] = first;
            if (after > 0) p[axis + rank] = after;
            if (p.Any(v => v != 0)) g = e.Pad(g, p);
            if (after < 0) g = e.Slice(g, [0], [d], [axis]);
            cur[axis] = d;
        }
        c.Add(0, g);
    }
}
