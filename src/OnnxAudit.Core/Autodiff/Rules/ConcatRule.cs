namespace OnnxAudit.Autodiff.Rules;

/// <summary>Concat(axis): each input's gradient is its slice of dy along the axis.</summary>
internal sealed class ConcatRule : IGradientRule
{
    public string OpType => "Concat";

    public void Backward(BackwardContext c)
    {
        var rank = c.Shape(c.Y(0)).Length;
        var axis = c.Int("axis", 0);
        if (axis < 0) axis += rank;
        long offset = 0;
        for (var i = 0; i < c.Node.Input.Count; i++)
        {
            var size = c.Shape(c.X(i))[axis];
            if (size < 0) throw c.Fail("concatenation along the batch axis is not supported by the gradient builder");
            if (c.Needs(i)) c.Add(i, c.E.Slice(c.Dy(0)!, [offset], [offset + size], [axis]));
            offset += size;
        }
    }
}
