namespace OnnxAudit.Autodiff.Rules;

/// <summary>Mean (variadic, numpy broadcasting) of k inputs: dx_i = Σ_broadcast dy / k.</summary>
internal sealed class MeanRule : IGradientRule
{
    public string OpType => "Mean";

    public void Backward(BackwardContext c) => SumRule.Spread(c, 1.0 / c.Node.Input.Count);
}
