using OnnxAudit.Onnx;
using Onnx;

namespace OnnxAudit.Graph;

/// <summary>Indexes over one graph shared by the analyzer's passes (nodes in topological order).</summary>
internal sealed class GraphContext
{
    public GraphContext(OnnxModel model, int[] order, IReadOnlyList<string> dataInputs, Dictionary<string, TensorShapeInfo> shapes, int batch)
    {
        Model = model;
        Graph = model.Graph;
        Nodes = order.Select(i => Graph.Node[i]).ToArray();
        FileIndex = order;
        Shapes = shapes;
        Batch = batch;
        Initializers = Graph.Initializer.GroupBy(t => t.Name).ToDictionary(x => x.Key, x => x.Last());
        for (var n = 0; n < Nodes.Length; n++)
        {
            foreach (var o in Nodes[n].Output.Where(o => o.Length > 0)) Producer[o] = n;
            foreach (var i in Nodes[n].Input.Where(i => i.Length > 0).Distinct())
            {
                if (!Consumers.TryGetValue(i, out var list)) Consumers[i] = list = [];
                list.Add(n);
            }
        }
        // A tensor is data-dependent when some path leads to it from a graph input; the rest (initializers,
        // Constant nodes and what is computed from them alone) is constant.
        foreach (var i in dataInputs) DataDependent.Add(i);
        foreach (var node in Nodes)
        {
            if (node.Input.Any(DataDependent.Contains))
            {
                foreach (var o in node.Output.Where(o => o.Length > 0)) DataDependent.Add(o);
            }
        }
        // why: issue 17 — Shape/Size read only the dimensions of a tensor, so what is computed from them (Gather,
        // Concat, Unsqueeze, Cast, Mul on shape vectors; ConstantOfShape; the Expand of a class token to the batch)
        // never carries the input's values. A tensor carries activations when a path of value inputs leads to it
        // from a data input; that excludes shape arithmetic, which is then never a layer or a split point.
        foreach (var i in dataInputs) Activations.Add(i);
        foreach (var node in Nodes)
        {
            if (IsShapeOnly(node)) continue;
            if (node.Input.Any(Activations.Contains))
            {
                foreach (var o in node.Output.Where(o => o.Length > 0)) Activations.Add(o);
            }
        }
        OutputNames = new HashSet<string>(Graph.Output.Select(o => o.Name));
    }

    /// <summary>Whether the node's outputs depend only on its inputs' shapes (Shape, Size), never on their values.</summary>
    public static bool IsShapeOnly(NodeProto node) =>
        node.OpType is "Shape" or "Size" && (node.Domain.Length == 0 || node.Domain == "ai.onnx");

    public OnnxModel Model { get; }
    public GraphProto Graph { get; }
    public NodeProto[] Nodes { get; }
    public int[] FileIndex { get; }
    public Dictionary<string, TensorShapeInfo> Shapes { get; }
    public int Batch { get; }
    public Dictionary<string, TensorProto> Initializers { get; }
    public Dictionary<string, int> Producer { get; } = [];
    public Dictionary<string, List<int>> Consumers { get; } = [];
    public HashSet<string> DataDependent { get; } = [];

    /// <summary>Tensors whose values depend on the data input's values (a subset of <see cref="DataDependent"/>
    /// without shape arithmetic).</summary>
    public HashSet<string> Activations { get; } = [];
    public HashSet<string> OutputNames { get; }

    /// <summary>Dimensions of an initializer or a measured tensor, or null.</summary>
    public IReadOnlyList<long>? Dims(string name) =>
        Initializers.TryGetValue(name, out var t) ? t.Dims.ToArray() : Shapes.TryGetValue(name, out var s) ? s.Shape : null;

    /// <summary>The value of a constant scalar (initializer or Constant node output), or null.</summary>
    public double? ConstScalar(string name)
    {
        if (name.Length == 0) return null;
        TensorProto? t = null;
        if (Initializers.TryGetValue(name, out var init)) t = init;
        else if (Producer.TryGetValue(name, out var p) && Nodes[p].OpType == "Constant") t = NodeAttributes.Find(Nodes[p], "value")?.T;
        if (t is null || TensorData.ElementCount(t) != 1) return null;
        try
        {
            return TensorData.ToFloats(t)[0];
        }
        catch (NotSupportedException)
        {
            return null;
        }
    }

    public long ElementsPerSample(string name) => Shapes.TryGetValue(name, out var s) ? s.ElementsPerSample : 0;
}
