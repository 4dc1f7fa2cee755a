namespace OnnxAudit.Autodiff.Rules;

/// <summary>Log: dx = dy / x.</summary>
internal sealed class LogRule : IGradientRule
{
    public string OpType => "Log";

    public void Backward(BackwardContext c) => c.Add(0, c.E.Div(c.Dy(0)!, c.X(0)));
}
