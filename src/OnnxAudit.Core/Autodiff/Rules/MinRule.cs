namespace OnnxAudit.Autodiff.Rules;

/// <summary>Min (variadic, numpy broadcasting): as <see cref="MaxRule"/> with the minimum.</summary>
internal sealed class MinRule : IGradientRule
{
    public string OpType => "Min";

    public void Backward(BackwardContext c) => MaxRule.Extremum(c);
}
