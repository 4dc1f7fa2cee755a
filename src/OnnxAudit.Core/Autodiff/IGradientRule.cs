namespace OnnxAudit.Autodiff;

/// <summary>Backward rule for one ONNX operator type (default domain). Emits standard ONNX nodes computing the
/// gradients of the node's inputs from its output gradients.</summary>
internal interface IGradientRule
{
    /// <summary>The ONNX op type handled.</summary>
    string OpType { get; }

    /// <summary>Emits backward nodes and adds gradient contributions via <see cref="BackwardContext.Add"/>.</summary>
    void Backward(BackwardContext c);
}
