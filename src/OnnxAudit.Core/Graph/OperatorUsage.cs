namespace OnnxAudit.Graph;

/// <summary>How often an operator occurs in the main graph.</summary>
/// <param name="OpType">Operator type, e.g. "Conv".</param>
/// <param name="Domain">Operator domain; "" is the default ONNX domain.</param>
/// <param name="Count">Number of nodes with this type.</param>
/// <param name="Opset">The opset version imported for the domain (0 when the model imports none for it).</param>
public sealed record OperatorUsage(string OpType, string Domain, int Count, long Opset);
