using OnnxAudit.Graph;
using OnnxAudit.Reporting.Model;

namespace OnnxAudit.Reporting.Sections;

/// <summary>Turns a <see cref="GraphAnalysis"/> into report blocks: summary, layers, ReLU layers, classifier head,
/// split points and operator inventory. Used by the report and by <c>onnx-audit inspect</c>.</summary>
public static class GraphSectionBuilder
{
    /// <summary>The section id used in reports.</summary>
    public const string SectionId = "graph";

    /// <summary>Builds the "Model and graph analysis" section.</summary>
    public static ReportSection Build(GraphAnalysis analysis)
    {
        ArgumentNullException.ThrowIfNull(analysis);
        return new ReportSection(SectionId, "Model and graph analysis", [Summary(analysis), Layers(analysis), Relus(analysis), Head(analysis), SplitPoints(analysis), .. BlocksIfAny(analysis), Operators(analysis)]);
    }

    /// <summary>A one-paragraph summary of the graph.</summary>
    public static ParagraphBlock Summary(GraphAnalysis a)
    {
        ArgumentNullException.ThrowIfNull(a);
        var input = a.Tensors[a.InputTensor];
        var head = a.Head is null
            ? "No fully-connected classifier head was found (the output is not produced by a chain of linear layers), so the neuron-exclusivity audit does not apply."
            : $"The classifier head g (f = g∘Φ) starts at tensor '{a.Head.InputTensor}' ({Fmt.N(a.Head.InputWidth)} features) and has widths {string.Join(" → ", a.Head.Widths.Select(Fmt.N))} with {a.Head.Relus.Count} ReLU layer(s){(a.Head.Relus.Count > 0 ? $"; d₁ = {Fmt.N(a.Head.Relus[0].Width)}" : "")}.";
        return new ParagraphBlock(
            $"The graph has {a.Nodes.Count} nodes forming {a.Layers.Count} layers and {Fmt.N(a.ParameterCount)} parameters. " +
            $"Its input '{a.InputTensor}' is {Fmt.Shape(input.Shape.Skip(input.IsBatched ? 1 : 0))} per sample ({Fmt.N(input.ElementsPerSample)} values); " +
            $"shapes below are for a batch of {a.BatchSize} (derived statically, or measured by ONNX Runtime where the static pass cannot). {head} " +
            $"{a.SplitPoints.Count} tensor(s) disconnect the input from the output and are candidate split points.");
    }

    /// <summary>The layer table.</summary>
    public static TableBlock Layers(GraphAnalysis a)
    {
        ArgumentNullException.ThrowIfNull(a);
        var rows = a.Layers.Select(l => (IReadOnlyList<TableCell>)[
            l.Index.ToString(System.Globalization.CultureInfo.InvariantCulture), l.Label, l.Kind.ToString(), l.OpType,
            OutputShape(a, l), Fmt.N(l.ParameterCount), Details(l)]).ToArray();
        return new TableBlock("Layers in execution order (output shape per sample)",
            [new("#", ColumnAlignment.Right, 0.4), new("Layer", RelativeWidth: 1.2), new("Kind"), new("Op"), new("Output", ColumnAlignment.Right), new("Params", ColumnAlignment.Right, 0.9), new("Details", RelativeWidth: 2.4)],
            rows) { PdfMaxRows = TableBlock.PerLayerPdfRows };
    }

    /// <summary>The ReLU table.</summary>
    public static TableBlock Relus(GraphAnalysis a)
    {
        ArgumentNullException.ThrowIfNull(a);
        var head = a.Head?.Relus.Select((r, i) => (r.Output, i)).ToDictionary(t => t.Output, t => t.i + 1) ?? [];
        var rows = a.ReluLayers.Select(r => (IReadOnlyList<TableCell>)[
            r.Label, r.Output, Fmt.N(r.Width), head.TryGetValue(r.Output, out var i) ? $"head ReLU i = {i}" : "feature extractor Φ"]).ToArray();
        return new TableBlock("ReLU layers and widths (elements per sample)",
            [new("ReLU"), new("Output tensor", RelativeWidth: 1.6), new("Width", ColumnAlignment.Right), new("Position", RelativeWidth: 1.2)], rows) { PdfMaxRows = TableBlock.PerLayerPdfRows };
    }

    /// <summary>The classifier-head key/values.</summary>
    public static KeyValueBlock Head(GraphAnalysis a)
    {
        ArgumentNullException.ThrowIfNull(a);
        if (a.Head is null) return new KeyValueBlock([new("Classifier head", "none: the output is not produced by a chain of linear layers")], "Classifier head g and feature extractor Φ");
        var h = a.Head;
        return new KeyValueBlock(
        [
            new("Head input (Φ output)", $"{h.InputTensor} ({Fmt.N(h.InputWidth)} features)"),
            new("Features from", h.Features),
            new("Linear layers", string.Join(", ", h.Linears.Select(l => $"{l.Label} {Fmt.N(l.Linear!.InFeatures)}→{Fmt.N(l.Linear.OutFeatures)}"))),
            new("Widths", string.Join(" → ", h.Widths.Select(Fmt.N))),
            new("ReLU layers (i = 1 … H)", h.Relus.Count == 0 ? "none" : string.Join(", ", h.Relus.Select((r, i) => $"i={i + 1}: {r.Label} (d={Fmt.N(r.Width)})"))),
        ], "Classifier head g and feature extractor Φ (f = g∘Φ)");
    }

    /// <summary>A prefix of more than six layers as its first two, the count and its last two: the full list is the
    /// layer table up to the split point, and listing it per row made one row per page on deep models.</summary>
    internal static string ShortPrefix(string description)
    {
        var parts = description.Split(" → ");
        return parts.Length <= 6 ? description
            : $"{parts[0]} → {parts[1]} → … ({parts.Length - 4} more layers) … → {parts[^2]} → {parts[^1]}";
    }

    /// <summary>The split-point table.</summary>
    public static TableBlock SplitPoints(GraphAnalysis a)
    {
        ArgumentNullException.ThrowIfNull(a);
        var rows = a.SplitPoints.Select(s => (IReadOnlyList<TableCell>)[
            s.Tensor, s.Block.Length > 0 && s.Block != s.ProducerLabel ? $"{s.Block} ({s.ProducerLabel})" : s.ProducerLabel, Fmt.Shape(s.Shape.Skip(a.Tensors[s.Tensor].IsBatched ? 1 : 0)), Fmt.N(s.ElementsPerSample), Fmt.F(s.Compression, 2) + "×", ShortPrefix(s.Description)]).ToArray();
        return new TableBlock("Candidate split points (tensors every input→output path passes through), in execution order",
            [new("Tensor", RelativeWidth: 1.6), new("Closes block (after)"), new("Shape", ColumnAlignment.Right), new("Elements", ColumnAlignment.Right), new("Compression", ColumnAlignment.Right), new("Prefix f1", RelativeWidth: 2.2)], rows) { PdfMaxRows = TableBlock.PerLayerPdfRows };
    }

    /// <summary>The blocks between consecutive split points (a residual, inception, dense or shuffle unit is one block).</summary>
    public static TableBlock Blocks(GraphAnalysis a)
    {
        ArgumentNullException.ThrowIfNull(a);
        var ic = System.Globalization.CultureInfo.InvariantCulture;
        var rows = (a.Blocks ?? []).Select((b, i) => (IReadOnlyList<TableCell>)[
            (i + 1).ToString(ic), b.Name, b.Kind, b.LayerIndices.Count.ToString(ic), Fmt.N(b.ParameterCount), b.OutputTensor == a.OutputTensor ? $"{b.OutputTensor} (output)" : b.OutputTensor]).ToArray();
        return new TableBlock("Blocks: the units split points close, input to output",
            [new("#", ColumnAlignment.Right, 0.4), new("Block", RelativeWidth: 1.4), new("Kind"), new("Layers", ColumnAlignment.Right), new("Params", ColumnAlignment.Right), new("Output tensor", RelativeWidth: 1.8)], rows) { PdfMaxRows = TableBlock.PerLayerPdfRows };
    }

    // why: in a chain every block is one layer and the table would repeat the layer table.
    private static IEnumerable<ReportBlock> BlocksIfAny(GraphAnalysis a) =>
        (a.Blocks ?? []).Any(b => b.LayerIndices.Count > 1) ? [Blocks(a)] : [];

    /// <summary>How many initializers are listed one by one; beyond it the table shows the largest ones and a summary.</summary>
    public const int InitializerRows = 12;

    /// <summary>The initializers with their shapes: all of them up to <see cref="InitializerRows"/>, else the largest ones
    /// and a summary row (count and total elements of the rest).</summary>
    public static TableBlock Initializers(GraphAnalysis a)
    {
        ArgumentNullException.ThrowIfNull(a);
        var ic = System.Globalization.CultureInfo.InvariantCulture;
        var all = a.Initializers ?? [];
        var shown = all.Count <= InitializerRows ? all : all.OrderByDescending(t => t.Elements).ThenBy(t => t.Name, StringComparer.Ordinal).Take(InitializerRows - 2).ToList();
        var rows = shown.Select(t => (IReadOnlyList<TableCell>)[t.Name, t.ElementType, Fmt.Shape(t.Shape), Fmt.N(t.Elements)]).ToList();
        var parameters = all.Where(t => t.IsParameter).ToList();
        if (shown.Count < all.Count)
        {
            var rest = all.Count - shown.Count;
            rows.Add([$"… {rest.ToString(ic)} more", "", "", Fmt.N(all.Sum(t => t.Elements) - shown.Sum(t => t.Elements))]);
        }
        rows.Add([$"total: {all.Count.ToString(ic)} initializers ({parameters.Count.ToString(ic)} floating-point)", "", "", $"{Fmt.N(parameters.Sum(t => t.Elements))} parameters"]);
        var caption = shown.Count < all.Count ? $"Initializers: the {shown.Count} largest of {all.Count}" : "Initializers";
        return new TableBlock(caption, [new("Name", RelativeWidth: 2), new("Type"), new("Shape", ColumnAlignment.Right), new("Elements", ColumnAlignment.Right)], rows);
    }

    /// <summary>The model's metadata: producer, IR version, opsets, domain, model version, doc strings, metadata_props.</summary>
    public static KeyValueBlock Metadata(GraphAnalysis a)
    {
        ArgumentNullException.ThrowIfNull(a);
        var ic = System.Globalization.CultureInfo.InvariantCulture;
        var id = a.Identity;
        static string Or(string s) => string.IsNullOrEmpty(s) ? "(none)" : Common.SafeText.Escape(s, 200);
        var items = new List<KeyValue>
        {
            new("Producer", Or($"{id.ProducerName} {id.ProducerVersion}".Trim())),
            new("IR version", id.IrVersion.ToString(ic)),
            new("Opsets", string.Join(", ", id.Opsets.Select(o => $"{(string.IsNullOrEmpty(o.Domain) ? "ai.onnx" : o.Domain)} {o.Version.ToString(ic)}"))),
            new("Domain", Or(id.Domain)),
            new("Model version", id.ModelVersion.ToString(ic)),
            new("Graph name", Or(id.GraphName)),
            new("Doc string", Or(id.DocString)),
        };
        if (id.GraphDocString.Length > 0) items.Add(new("Graph doc string", Or(id.GraphDocString)));
        var props = id.MetadataProps ?? [];
        if (props.Count == 0) items.Add(new("metadata_props", "(none)"));
        foreach (var p in props) items.Add(new($"metadata_props: {Common.SafeText.Escape(p.Key, 60)}", Or(p.Value)));
        return new KeyValueBlock(items, "Model metadata");
    }

    /// <summary>The operator inventory.</summary>
    public static TableBlock Operators(GraphAnalysis a)
    {
        ArgumentNullException.ThrowIfNull(a);
        var rows = a.Operators.Select(o => (IReadOnlyList<TableCell>)[
            o.OpType, string.IsNullOrEmpty(o.Domain) ? "ai.onnx" : o.Domain, o.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), o.Opset.ToString(System.Globalization.CultureInfo.InvariantCulture)]).ToArray();
        return new TableBlock("Operator inventory", [new("Operator"), new("Domain"), new("Nodes", ColumnAlignment.Right), new("Opset", ColumnAlignment.Right)], rows) { PdfMaxRows = TableBlock.PerLayerPdfRows };
    }

    private static string OutputShape(GraphAnalysis a, Layer l) =>
        a.Tensors.TryGetValue(l.Output, out var t) ? Fmt.Shape(t.Shape.Skip(t.IsBatched ? 1 : 0)) : "?";

    private static string Details(Layer l)
    {
        if (l.Conv is { } c)
            return $"{c.InChannels}→{c.OutChannels}, k {c.KernelH}×{c.KernelW}, s {c.StrideH}, p {string.Join(",", c.Pads)}" + (c.DilationH != 1 || c.DilationW != 1 ? $", d {c.DilationH}" : "") + (c.Groups != 1 ? $", groups {c.Groups}" : "");
        if (l.Linear is { } li) return $"{Fmt.N(li.InFeatures)}→{Fmt.N(li.OutFeatures)}{(li.BiasName is null ? ", no bias" : "")}{(li.FromMatMul ? " (MatMul+Add)" : "")}";
        if (l.Pool is { } p) return $"k {string.Join("×", p.Kernel)}, s {string.Join(",", p.Strides)}";
        if (l.Activation is { } act) return act.Alpha is { } alpha ? $"{act.Function} α={Fmt.F(alpha, 3)}" : act.Function;
        return "";
    }
}
