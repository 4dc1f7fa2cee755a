using OnnxAudit.Graph;
using OnnxAudit.Reporting.Model;

namespace OnnxAudit.Reporting.Sections;

/// <summary>Maps the graph analyzer's model identity to the report's model card.</summary>
public static class ModelCardBuilder
{
    /// <summary>Builds the cover-page model card.</summary>
    /// <param name="analysis">The graph analysis of the model.</param>
    /// <param name="displayPath">The model path as the user gave it.</param>
    public static ModelCard Build(GraphAnalysis analysis, string displayPath)
    {
        ArgumentNullException.ThrowIfNull(analysis);
        var id = analysis.Identity;
        var extra = new List<KeyValue>
        {
            new("IR version", id.IrVersion.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            new("Layers", $"{analysis.Layers.Count} ({string.Join(", ", analysis.Layers.GroupBy(l => l.Kind).Select(g => $"{g.Count()} {g.Key.ToString().ToLowerInvariant()}"))})"),
            new("ReLU layers", ReluList(analysis)),
            new("Classifier head", analysis.Head is null ? "none found" : string.Join(" → ", analysis.Head.Widths.Select(Fmt.N)) + $" ({analysis.Head.Relus.Count} ReLU layer(s))"),
            new("Candidate split points", analysis.SplitPoints.Count.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        };
        return new ModelCard(
            Name: Path.GetFileNameWithoutExtension(displayPath),
            Path: displayPath,
            Sha256: id.Sha256,
            Producer: string.IsNullOrEmpty(id.ProducerName) ? "(not recorded)" : $"{id.ProducerName} {id.ProducerVersion}".Trim(),
            Opsets: id.Opsets.Select(o => new Model.OpsetInfo(string.IsNullOrEmpty(o.Domain) ? "ai.onnx" : o.Domain, o.Version)).ToArray(),
            Parameters: analysis.ParameterCount,
            Inputs: id.Inputs.Select(t => new Model.TensorSignature(t.Name, t.ElementType, t.Shape)).ToArray(),
            Outputs: id.Outputs.Select(t => new Model.TensorSignature(t.Name, t.ElementType, t.Shape)).ToArray(),
            Extra: extra);
    }

    /// <summary>How many ReLU layers the card names; the graph section lists every one.</summary>
    public const int CardReluNames = 6;

    private static string ReluList(GraphAnalysis analysis)
    {
        var relus = analysis.ReluLayers;
        if (relus.Count == 0) return "none";
        var named = string.Join(", ", relus.Take(CardReluNames).Select(r => $"{r.Label} ({Fmt.N(r.Width)})"));
        return relus.Count <= CardReluNames ? named : $"{relus.Count}: {named}, +{relus.Count - CardReluNames} more (all in the graph section)";
    }
}
