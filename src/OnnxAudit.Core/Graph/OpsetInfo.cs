namespace OnnxAudit.Graph;

/// <summary>One imported operator set.</summary>
/// <param name="Domain">Operator domain; "" is the default ONNX domain.</param>
/// <param name="Version">Opset version.</param>
public sealed record OpsetInfo(string Domain, long Version);
