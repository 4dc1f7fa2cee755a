using OnnxAudit.Graph;
using OnnxAudit.Reporting.Model;

namespace OnnxAudit.Reporting.Sections;

/// <summary>Puts the report together: cover (model card), executive summary with one verdict per threat
/// (threats without a contribution are listed as not assessed, with the reason), the graph section, the
/// data section, every auditor's sections, methodology and reproducibility.</summary>
public static class ReportAssembler
{
    /// <summary>The federated threat (neuron exclusivity).</summary>
    public const string FederatedThreat = Audits.Threats.Federated;
    /// <summary>The convolutional threat (R-CONV).</summary>
    public const string ConvolutionalThreat = Audits.Threats.Convolutional;
    /// <summary>The split-inference threat.</summary>
    public const string SplitThreat = Audits.Threats.Split;

    /// <summary>The threats in executive-summary order.</summary>
    public static IReadOnlyList<string> Threats => Audits.Threats.All;

    /// <summary>Citations used by every report.</summary>
    public static IReadOnlyList<Citation> BaseCitations { get; } =
    [
        new("Pan22", "X. Pan, M. Zhang, Y. Yan, J. Zhu, Z. Yang. Exploring the Security Boundary of Data Reconstruction via Neuron Exclusivity Analysis. USENIX Security 2022."),
        new("Eltaras24", "T. A. Eltaras, Q. Malluhi, A. Savino, S. Di Carlo, A. Qayyum. R-CONV: An Analytical Approach for Efficient Data Reconstruction via Convolutional Gradients. WISE 2024, LNCS 15440."),
        new("He19", "Z. He, T. Zhang, R. B. Lee. Model Inversion Attacks Against Collaborative Inference. ACSAC 2019."),
    ];

    /// <summary>Scope, threat model and limitations: what was and was not audited, and what the verdicts do not claim.</summary>
    internal static ReportSection ScopeSection(IReadOnlyList<ThreatVerdict> verdicts)
    {
        var assessed = verdicts.Where(v => v.Severity != Severity.NotAssessed).Select(v => v.Threat).ToList();
        var notAssessed = verdicts.Where(v => v.Severity == Severity.NotAssessed).Select(v => v.Threat).ToList();
        var quick = verdicts.Any(v => v.Provisional);
        return new ReportSection("scope", "Scope, threat model and limitations",
        [
            new KeyValueBlock(
            [
                new("Assessed", assessed.Count == 0 ? "nothing" : string.Join("; ", assessed)),
                new("Not assessed", notAssessed.Count == 0 ? "—" : string.Join("; ", notAssessed)),
                new("Mode", quick ? "quick (--quick): every verdict is provisional; a full run is required before a decision" : "full"),
            ]),
            new ParagraphBlock([new TextRun("Threat model. ", Bold: true), new TextRun(
                "Federated learning: an honest-but-curious server receives one client's batch-averaged gradient of the audited model and knows its " +
                "architecture and weights. Split inference: an untrusted party receives the intermediate tensor at a split point; white-box it knows the " +
                "prefix f1, black-box it can query f1, query-free it only knows the suffix f2 and has auxiliary data of the same distribution. " +
                "Convolutional leakage: the attacker sees single-sample gradients of every layer.")]),
            new ParagraphBlock([new TextRun("Limitations. ", Bold: true), new TextRun(
                "Verdicts measure the attacks implemented here (Pan et al., R-CONV, He et al.) on the given sample data; stronger or future attacks " +
                "may recover more, so a LOW or NONE verdict is not a proof of privacy. Results depend on the data given (its distribution and size), the " +
                "deployment batch size and the seed; proportions carry 95% intervals. Defences applied outside the model graph (secure aggregation, " +
                "differential privacy, noise on the sent tensor) are not seen unless they are part of the audited model.")]),
        ]);
    }

    /// <summary>The sign-off block a reviewer fills in.</summary>
    internal static ReportSection SignOffSection() => new("sign-off", "Sign-off",
    [
        new KeyValueBlock(
        [
            new("Reviewer", "____________________________________"),
            new("Date", "____________________"),
            new("Decision", "☐ accept   ☐ accept with conditions   ☐ reject   ☐ re-audit (full run)"),
            new("Conditions / notes", "____________________________________"),
        ], "To be completed by the reviewer"),
    ]);

    /// <summary>Assembles the report.</summary>
    /// <param name="card">Cover-page model identity.</param>
    /// <param name="analysis">The graph analysis (rendered as a section).</param>
    /// <param name="dataSection">The data section, or null when no data was given.</param>
    /// <param name="contributions">Auditor contributions, any order.</param>
    /// <param name="notAssessedReasons">For threats without a contribution: why (threat → one sentence).</param>
    /// <param name="reproducibility">Versions, seeds, hashes, command line.</param>
    /// <param name="timing">Timestamps and durations.</param>
    /// <param name="hyperParameters">The compact table of the budgets and hyper-parameters used, placed before the sign-off; or null.</param>
    public static AuditReport Assemble(
        ModelCard card,
        GraphAnalysis analysis,
        ReportSection? dataSection,
        IReadOnlyList<AuditContribution> contributions,
        IReadOnlyDictionary<string, string> notAssessedReasons,
        Reproducibility reproducibility,
        ReportTiming timing,
        ReportSection? hyperParameters = null)
    {
        ArgumentNullException.ThrowIfNull(card);
        ArgumentNullException.ThrowIfNull(contributions);
        ArgumentNullException.ThrowIfNull(notAssessedReasons);
        var verdicts = new List<ThreatVerdict>();
        var sections = new List<ReportSection> { GraphSectionBuilder.Build(analysis) };
        if (dataSection is not null) sections.Add(dataSection);
        var method = new List<string>
        {
            "OnnxAudit loads the model with its own ONNX importer, analyses the graph (layers, ReLU layers, classifier head, split points) " +
            "and measures every tensor shape by running ONNX Runtime once with all intermediate tensors exposed as outputs. Gradients are " +
            "computed by gradient graphs that OnnxAudit builds in standard ONNX operators and runs on ONNX Runtime (checked against PyTorch autograd).",
        };
        var citations = new List<Citation>(BaseCitations);
        foreach (var threat in Threats)
        {
            var c = contributions.FirstOrDefault(x => x.Verdict.Threat == threat);
            if (c is null)
            {
                var reason = notAssessedReasons.TryGetValue(threat, out var r) ? r : "This auditor did not run.";
                verdicts.Add(new ThreatVerdict(threat, Severity.NotAssessed, reason, []));
                continue;
            }
            verdicts.Add(c.Verdict);
            sections.AddRange(c.Sections);
            method.AddRange(c.Method);
            foreach (var cit in c.Citations) if (citations.All(x => x.Key != cit.Key)) citations.Add(cit);
        }
        sections.Insert(0, ScopeSection(verdicts));
        if (hyperParameters is not null) sections.Add(hyperParameters);
        sections.Add(SignOffSection());
        var report = new AuditReport($"Privacy audit of {card.Name}", card, verdicts, sections, new Methodology(method, citations), reproducibility, timing);
        report.Validate();
        return report;
    }
}
