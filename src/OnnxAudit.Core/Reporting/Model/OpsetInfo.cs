namespace OnnxAudit.Reporting.Model;

/// <summary>An operator set the model imports.</summary>
/// <param name="Domain">Domain; "" (shown as "ai.onnx") for the default domain.</param>
/// <param name="Version">Opset version.</param>
public sealed record OpsetInfo(string Domain, long Version)
{
    /// <summary>"ai.onnx 13" style text.</summary>
    public override string ToString() => (Domain.Length == 0 ? "ai.onnx" : Domain) + " " + Version.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
