namespace OnnxAudit.Graph;

/// <summary>A node of the main graph, in topological order.</summary>
/// <param name="Index">Position in <see cref="GraphAnalysis.Nodes"/> (execution order).</param>
/// <param name="FileIndex">Position in the model file's node list.</param>
/// <param name="Name">The node's name, or a generated one ("Conv_0": op type and its count so far) when unnamed.</param>
/// <param name="OpType">Operator type.</param>
/// <param name="Domain">Operator domain ("" = default).</param>
/// <param name="Inputs">Input tensor names ("" marks an omitted optional input).</param>
/// <param name="Outputs">Output tensor names.</param>
public sealed record GraphNode(int Index, int FileIndex, string Name, string OpType, string Domain, IReadOnlyList<string> Inputs, IReadOnlyList<string> Outputs);
