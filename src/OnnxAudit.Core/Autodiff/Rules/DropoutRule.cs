namespace OnnxAudit.Autodiff.Rules;

/// <summary>Dropout in inference mode is the identity: dx = dy. A training_mode input that is not a constant false is rejected.</summary>
internal sealed class DropoutRule : IGradientRule
{
    public string OpType => "Dropout";

    public void Backward(BackwardContext c)
    {
        if (c.HasInput(2))
        {
            var t = c.Constants.Get(c.X(2));
            var training = t is null || (!t.RawData.IsEmpty ? t.RawData.Span.IndexOfAnyExcept((byte)0) >= 0 : t.Int32Data.Any(v => v != 0));
            if (training) throw c.Fail("training_mode must be a constant false; gradients are computed for inference (eval) mode only");
        }
        if (c.Dy(0) is { } dy) c.Add(0, dy);
    }
}
