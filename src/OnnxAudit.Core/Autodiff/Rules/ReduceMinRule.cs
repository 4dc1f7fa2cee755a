namespace OnnxAudit.Autodiff.Rules;

/// <summary>ReduceMin: as <see cref="ReduceMaxRule"/> with the minimum (ties share the gradient evenly).</summary>
internal sealed class ReduceMinRule : IGradientRule
{
    public string OpType => "ReduceMin";

    public void Backward(BackwardContext c) => ReduceMaxRule.Extremum(c);
}
