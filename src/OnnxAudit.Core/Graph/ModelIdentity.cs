namespace OnnxAudit.Graph;

/// <summary>What identifies a model file and its interface.</summary>
/// <param name="Origin">The path the model was loaded from (or the in-memory name).</param>
/// <param name="Sha256">Lower-case hex SHA-256 of the file bytes.</param>
/// <param name="ProducerName">producer_name ("" when absent).</param>
/// <param name="ProducerVersion">producer_version ("" when absent).</param>
/// <param name="IrVersion">ir_version.</param>
/// <param name="GraphName">The graph's name ("" when absent).</param>
/// <param name="Opsets">Imported opsets, as declared.</param>
/// <param name="Inputs">Graph inputs that are not initializers (the data the model is fed).</param>
/// <param name="Outputs">Graph outputs.</param>
/// <param name="Domain">The model's domain ("" when absent).</param>
/// <param name="ModelVersion">model_version (0 when absent).</param>
/// <param name="DocString">The model's doc_string ("" when absent).</param>
/// <param name="GraphDocString">The graph's doc_string ("" when absent).</param>
/// <param name="MetadataProps">metadata_props, in file order (a later duplicate key kept as its own entry).</param>
public sealed record ModelIdentity(
    string Origin,
    string Sha256,
    string ProducerName,
    string ProducerVersion,
    long IrVersion,
    string GraphName,
    IReadOnlyList<OpsetInfo> Opsets,
    IReadOnlyList<TensorSignature> Inputs,
    IReadOnlyList<TensorSignature> Outputs,
    string Domain = "",
    long ModelVersion = 0,
    string DocString = "",
    string GraphDocString = "",
    IReadOnlyList<MetadataEntry>? MetadataProps = null);

/// <summary>One metadata_props entry of a model.</summary>
public sealed record MetadataEntry(string Key, string Value);
