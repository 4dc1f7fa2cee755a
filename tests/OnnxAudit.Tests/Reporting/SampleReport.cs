using System.Globalization;
using OnnxAudit.Reporting.Model;

namespace OnnxAudit.Tests.Reporting;

/// <summary>A report with every block type, a table long enough to span pages, and several image rows.</summary>
internal static class SampleReport
{
    public const string Title = "Privacy audit of lenet5 (sample)";
    public const int LongTableRows = 90;
    public static readonly string[] SectionTitles = ["Graph analysis", "Federated gradient leakage", "Convolutional gradient leakage", "Split-point inversion"];

    public static AuditReport Create(DateTimeOffset? started = null)
    {
        var t0 = started ?? new DateTimeOffset(2025, 1, 2, 3, 4, 5, TimeSpan.Zero);
        var model = new ModelCard(
            Name: "lenet5",
            Path: "models/lenet5.onnx",
            Sha256: "9f2c3b7d4e5a6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8",
            Producer: "pytorch 1.13.1",
            Opsets: [new OpsetInfo("", 13)],
            Parameters: 61_706,
            Inputs: [new TensorSignature("input", "float32", ["N", "1", "28", "28"])],
            Outputs: [new TensorSignature("logits", "float32", ["N", "10"])],
            Extra: [new KeyValue("Classifier head", "Gemm → Relu → Gemm → Relu → Gemm (120-84-10)")]);

        var verdicts = new ThreatVerdict[]
        {
            new("Federated gradient leakage", Severity.High,
                "93 % of batches of size 8 lie in the insecure boundary (N_H ≥ 2 for every sample).",
                ["Remove the first ReLU of the head (exclusivity reduction, Pan et al. Corollary 1).", "Use batch size ≥ 64 for federated rounds."],
                "federated"),
            new("Convolutional gradient leakage", Severity.Medium,
                "Layer conv2 has F·K² = 400 ≥ H·W = 256 gradient constraints per channel.",
                ["Increase stride of conv2 or add pooling before it."], "rconv"),
            new("Split inference", Severity.Low, "Best white-box PSNR after relu3 is 13.4 dB (SSIM 0.16).", [], "split"),
            new("Membership inference", Severity.NotAssessed, "Not assessed: no auditor for this threat in this version.", []),
        };

        var png = TestPng.Gray(28, 28, (x, y) => (byte)((x * 9 + y * 3) % 256));
        var png2 = TestPng.Gray(28, 28, (x, y) => (byte)(((x / 4 + y / 4) % 2) * 255));
        var png3 = TestPng.Gray(20, 28, (x, y) => (byte)(255 - x * 12));

        var longRows = Enumerable.Range(0, LongTableRows).Select(i => (IReadOnlyList<TableCell>)
        [
            $"batch-{i:000}",
            (i * 7 % 13).ToString(CultureInfo.InvariantCulture),
            new TableCell(i % 3 == 0 ? "insecure" : "secure", i % 3 == 0 ? Severity.High : Severity.None),
            (i * 0.125).ToString("0.000", CultureInfo.InvariantCulture),
        ]).ToArray();

        var sections = new ReportSection[]
        {
            new("graph", SectionTitles[0],
            [
                new ParagraphBlock([new TextRun("The model has "), new TextRun("5 ReLU layers", Bold: true),
                    new TextRun(" and a classifier head of three fully-connected layers. " + string.Concat(Enumerable.Repeat("This sentence makes the paragraph long enough to wrap over several lines of the page. ", 6)))]),
                new KeyValueBlock([new("Layers", "12"), new("ReLU widths", "6·24·24, 16·8·8, 120, 84"), new("Split points", "7")], "Summary"),
                new TableBlock("Layers", [new TableColumn("Layer"), new TableColumn("Kind"), new TableColumn("Output shape", ColumnAlignment.Right, 1.5)],
                [
                    ["conv1", "Conv 5×5", "[N, 6, 24, 24]"],
                    ["relu1", "Relu", "[N, 6, 24, 24]"],
                    ["fc1", "Gemm", "[N, 120]"],
                ]),
                new NoteBlock("Shapes were obtained by running ONNX Runtime once on a dummy batch."),
            ]),
            new("federated", SectionTitles[1],
            [
                new FindingBlock(Severity.High, "Batches fall inside the insecure boundary",
                    "93 of 100 sampled batches (M = 8) satisfy N_H ≥ 2 and N_i ≥ 1 for every sample.",
                    "Apply the exclusivity reduction or increase the batch size.",
                    "Pan et al. §5.1 sufficient exclusivity"),
                new TableBlock("Per-batch exclusivity (long table)", [new TableColumn("Batch"), new TableColumn("ExANs", ColumnAlignment.Right), new TableColumn("Boundary", ColumnAlignment.Center), new TableColumn("Fraction", ColumnAlignment.Right)], longRows),
                new ChartBlock("Insecure fraction vs batch size", ChartKind.Line, "Batch size M", "Fraction insecure",
                [
                    new ChartSeries("fcn-512", [new(1, 1.0), new(4, 0.97), new(16, 0.81), new(64, 0.2), new(256, 0.0)]),
                    new ChartSeries("lenet5", [new(1, 1.0), new(4, 0.9), new(16, double.NaN), new(64, 0.05), new(256, 0.0)]),
                ],
                [new ThresholdLine(0.5, "half of batches", Severity.Medium)], LogX: true, YMin: 0, YMax: 1),
            ]),
            new("rconv", SectionTitles[2],
            [
                new ChartBlock("Gradient constraints per channel", ChartKind.Bar, "Layer", "Count",
                [
                    new ChartSeries("F·K²", [new(1, 300, "conv1"), new(2, 400, "conv2"), new(3, 300, "conv3")]),
                    new ChartSeries("H·W", [new(1, 1024, "conv1"), new(2, 256, "conv2"), new(3, 64, "conv3")]),
                ], []),
                new FindingBlock(Severity.Medium, "conv2 input is recoverable from gradients", "400 ≥ 256 constraints; numerical rank 256.", "Add pooling before conv2.", "Eltaras et al. R-CONV counting rule"),
            ]),
            new("split", SectionTitles[3],
            [
                new ParagraphBlock("Originals beside white-box reconstructions at each split point."),
                new ImageGridBlock("White-box rMLE reconstructions (He et al.)", ["original", "conv1", "relu2", "relu3"],
                [
                    new ImageGridRow("sample 0", [new ReportImage(png), new ReportImage(png2, "39.7 dB"), new ReportImage(png3, "15.1 dB"), new ReportImage(png, "13.4 dB")]),
                    new ImageGridRow("sample 1", [new ReportImage(png2), new ReportImage(png, "38.1 dB"), new ReportImage(png2, "14.0 dB"), new ReportImage(png3, "12.9 dB")]),
                ]),
                new NoteBlock("Quick mode: 500 iterations instead of 5000.", NoteKind.Warning),
            ]),
        };

        return new AuditReport(
            Title,
            model,
            verdicts,
            sections,
            new Methodology(
                ["Neuron exclusivity follows Pan et al.; R-CONV counting follows Eltaras et al.; split inversion follows He et al."],
                [
                    new Citation("Pan22", "X. Pan et al., Exploring the Security Boundary of Data Reconstruction via Neuron Exclusivity Analysis, USENIX Security 2022."),
                    new Citation("He19", "Z. He, T. Zhang, R. B. Lee, Model Inversion Attacks against Collaborative Inference, ACSAC 2019.", "https://doi.org/10.1145/3359789.3359824"),
                ]),
            new Reproducibility([new("Tool version", "0.1.0"), new("ONNX Runtime", "1.29.0"), new("Seed", "42"), new("Dataset SHA-256", "ab12…"), new("Command line", "onnx-audit report models/lenet5.onnx --data samples -o out")]),
            new ReportTiming(t0, t0.AddSeconds(42.5), [new TimingEntry("exclusivity", TimeSpan.FromSeconds(12.25)), new TimingEntry("split inversion", TimeSpan.FromSeconds(30))]));
    }
}
