using OnnxAudit.Runtime;

namespace OnnxAudit.Pipeline;

/// <summary>What one report run audits and how.</summary>
/// <param name="ModelPath">The ONNX model file.</param>
/// <param name="DataPath">Sample data (IDX, .npy or image folder), or null (every threat is then not assessed).</param>
/// <param name="BatchSize">The federated clients' batch size M.</param>
/// <param name="Splits">"auto" (at most <see cref="Audits.SplitInversion.SplitAuditOptions.DefaultMaxPoints"/> spread over depth), "all" or split tensor names.</param>
/// <param name="Quick">Each auditor's quick preset.</param>
/// <param name="Seed">Seed of every auditor.</param>
/// <param name="Runtime">ONNX Runtime options.</param>
/// <param name="CommandLine">The command line stated in the reproducibility block.</param>
public sealed record ReportRequest(string ModelPath, string? DataPath, int BatchSize, IReadOnlyList<string> Splits, bool Quick, int Seed,
    RuntimeOptions Runtime, string CommandLine)
{
    /// <summary>Replaces the split audit's options derived from this request (tests: fewer attacks and iterations).
    /// The split points (<c>At</c>), the seed and the runtime still come from the request.</summary>
    internal Audits.SplitInversion.SplitAuditOptions? SplitOptionsOverride { get; init; }

    /// <summary>Resize, crop, channels, class map and normalisation (folded into the graph); <see cref="Data.Preprocessing.None"/> by default.</summary>
    public Data.Preprocessing Preprocessing { get; init; } = Data.Preprocessing.None;

    /// <summary>The effective configuration (YAML text of <c>onnx-audit.yaml</c> with the command line applied), embedded
    /// in the report so the run can be repeated from it; null when not known.</summary>
    public string? EffectiveConfig { get; init; }

    /// <summary>Auditor ids to run (exclusivity, rconv, split); null = all. The others are reported as not requested.</summary>
    public IReadOnlyList<string>? Threats { get; init; }
}
