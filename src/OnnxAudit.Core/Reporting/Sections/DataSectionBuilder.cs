using OnnxAudit.Audits;
using OnnxAudit.Data;
using OnnxAudit.Reporting.Model;

namespace OnnxAudit.Reporting.Sections;

/// <summary>The "Data" section: what the audit ran on, and the model's accuracy on it.</summary>
public static class DataSectionBuilder
{
    /// <summary>The section id.</summary>
    public const string SectionId = "data";

    /// <summary>Builds the section.</summary>
    /// <param name="data">The dataset.</param>
    /// <param name="displayPath">The path as the user gave it.</param>
    /// <param name="accuracy">Top-1 accuracy on the labelled data, or null without labels.</param>
    public static ReportSection Build(Dataset data, string displayPath, AccuracyResult? accuracy) => Build(data, displayPath, accuracy, null, null);

    /// <summary>Builds the section, stating the preprocessing and, when the labels look wrong, a warning.</summary>
    /// <param name="data">The dataset.</param>
    /// <param name="displayPath">The path as the user gave it.</param>
    /// <param name="accuracy">Top-1 accuracy on the labelled data, or null without labels.</param>
    /// <param name="preprocessing">The preprocessing, described in one line, or null.</param>
    /// <param name="mismatch">Why the labels or preprocessing may not match the model, or null.</param>
    public static ReportSection Build(Dataset data, string displayPath, AccuracyResult? accuracy, string? preprocessing, string? mismatch)
    {
        ArgumentNullException.ThrowIfNull(data);
        var items = new List<KeyValue>
        {
            new("Source", displayPath),
            new("SHA-256", data.Sha256),
            new("Images", $"{Fmt.N(data.N)} × {data.C}×{data.H}×{data.W} (NCHW, scaled to [0, 1])"),
            new("Labels", data.HasLabels ? (data.LabelsSource ?? "yes") : "none"),
        };
        if (data.ClassMapSource is not null) items.Add(new("Class indices", data.ClassMapSource));
        if (data.SkippedFiles > 0) items.Add(new("Skipped files", $"{Fmt.N(data.SkippedFiles)} non-image file(s) in the class folders"));
        if (preprocessing is not null) items.Add(new("Preprocessing", preprocessing));
        if (data.IsNormalized) items.Add(new("Normalisation", $"mean [{string.Join(", ", data.Mean!.Select(v => Fmt.F(v, 4)))}], std [{string.Join(", ", data.Std!.Select(v => Fmt.F(v, 4)))}]"));
        if (accuracy is not null) items.Add(new("Model accuracy on this data", $"{Fmt.Pct(accuracy.Accuracy, 2)} ({Fmt.N(accuracy.Correct)} of {Fmt.N(accuracy.Total)})"));
        var blocks = new List<ReportBlock> { new KeyValueBlock(items, "Audit data") };
        if (mismatch is not null) blocks.Insert(0, new NoteBlock($"Labels or preprocessing may not match the model: {mismatch}. Every verdict in this report is marked.", NoteKind.Warning));
        if (data.HasLabels)
        {
            var counts = data.Labels!.GroupBy(l => l).OrderBy(g => g.Key).ToArray();
            var names = data.ClassNames;
            blocks.Add(new TableBlock("Samples per class",
                [new("Class", ColumnAlignment.Right, 0.6), new("Name", RelativeWidth: 1.6), new("Samples", ColumnAlignment.Right)],
                counts.Select(g => (IReadOnlyList<TableCell>)[g.Key.ToString(System.Globalization.CultureInfo.InvariantCulture), names is not null && g.Key < names.Count ? names[(int)g.Key] : "", Fmt.N(g.Count())]).ToArray()));
        }
        return new ReportSection(SectionId, "Data", blocks);
    }
}
