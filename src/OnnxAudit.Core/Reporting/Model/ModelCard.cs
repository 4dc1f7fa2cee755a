namespace OnnxAudit.Reporting.Model;

/// <summary>Identity of the audited model, printed on the cover page.</summary>
/// <param name="Name">Display name (usually the file name without extension).</param>
/// <param name="Path">Path as given on the command line.</param>
/// <param name="Sha256">SHA-256 of the model file, lower-case hex.</param>
/// <param name="Producer">Producer name and version from the model, e.g. "pytorch 1.13.1".</param>
/// <param name="Opsets">Imported operator sets.</param>
/// <param name="Parameters">Number of trainable parameters (elements of float initializers).</param>
/// <param name="Inputs">Graph inputs.</param>
/// <param name="Outputs">Graph outputs.</param>
/// <param name="Extra">Further facts, in display order (e.g. "Classifier head", "ReLU layers").</param>
public sealed record ModelCard(
    string Name,
    string Path,
    string Sha256,
    string Producer,
    IReadOnlyList<OpsetInfo> Opsets,
    long Parameters,
    IReadOnlyList<TensorSignature> Inputs,
    IReadOnlyList<TensorSignature> Outputs,
    IReadOnlyList<KeyValue> Extra)
{
    /// <summary>The card as display rows (name, path, SHA-256, producer with opsets and IR version, parameters, inputs, outputs, extras).</summary>
    public IReadOnlyList<KeyValue> ToRows()
    {
        // why: the cover page must hold the card, the summary and the actions; producer, opsets and IR version share
        // one row (each stays a field of its own in the JSON).
        var ir = Extra.FirstOrDefault(e => e.Key == "IR version");
        var format = $"{Producer}; opset {string.Join(", ", Opsets)}" + (ir is null ? "" : $"; IR version {ir.Value}");
        var rows = new List<KeyValue>
        {
            new("Model", Name),
            new("File", Path),
            new("SHA-256", Sha256),
            new("Producer", format),
            new("Parameters", Parameters.ToString("N0", System.Globalization.CultureInfo.InvariantCulture)),
        };
        rows.AddRange(Inputs.Select(i => new KeyValue("Input", i.ToString())));
        rows.AddRange(Outputs.Select(o => new KeyValue("Output", o.ToString())));
        rows.AddRange(Extra.Where(e => !ReferenceEquals(e, ir)));
        return rows;
    }
}
