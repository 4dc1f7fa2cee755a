namespace OnnxAudit.Audits;

/// <summary>The threats OnnxAudit assesses, one auditor each, in executive-summary order.</summary>
public static class Threats
{
    /// <summary>Federated gradient leakage (neuron exclusivity, Pan et al.).</summary>
    public const string Federated = "Federated gradient leakage";

    /// <summary>Convolutional gradient leakage (R-CONV, Eltaras et al.).</summary>
    public const string Convolutional = "Convolutional gradient leakage";

    /// <summary>Split-inference inversion (He et al.).</summary>
    public const string Split = "Split-inference inversion";

    /// <summary>All threats, in executive-summary order.</summary>
    public static IReadOnlyList<string> All { get; } = [Federated, Convolutional, Split];
}
