using OnnxAudit.Errors;
using Onnx;

namespace OnnxAudit.Graph;

/// <summary>Stable topological sort of a graph's nodes with checks for dangling inputs and cycles.</summary>
internal static class TopologicalSorter
{
    /// <summary>Returns file indices of the nodes in execution order. Among the nodes ready to run, the one earliest
    /// in the file goes first, so a file that is already topologically ordered keeps its order.</summary>
    /// <exception cref="ModelLoadException">A tensor is read but never produced, produced twice, or the graph has a cycle.</exception>
    public static int[] Sort(GraphProto graph, string origin)
    {
        var available = new HashSet<string>(graph.Initializer.Select(t => t.Name));
        foreach (var i in graph.Input) available.Add(i.Name);
        var producer = new Dictionary<string, int>();
        for (var n = 0; n < graph.Node.Count; n++)
        {
            foreach (var o in graph.Node[n].Output)
            {
                if (o.Length == 0) continue;
                if (available.Contains(o) || producer.ContainsKey(o))
                {
                    throw new ModelLoadException($"{origin}: tensor '{o}' is produced twice (by node {Describe(graph.Node[n], n)} and earlier); ONNX graphs are single-assignment — re-export the model.");
                }
                producer[o] = n;
            }
        }

        var dependents = new List<int>[graph.Node.Count];
        var pending = new int[graph.Node.Count];
        for (var n = 0; n < graph.Node.Count; n++) dependents[n] = [];
        for (var n = 0; n < graph.Node.Count; n++)
        {
            // why: a node reading the same tensor twice (Mul(x, x)) depends on its producer once.
            foreach (var input in graph.Node[n].Input.Where(s => s.Length > 0).Distinct())
            {
                if (producer.TryGetValue(input, out var p))
                {
                    dependents[p].Add(n);
                    pending[n]++;
                }
                else if (!available.Contains(input))
                {
                    throw new ModelLoadException($"{origin}: node {Describe(graph.Node[n], n)} reads tensor '{input}', which no node produces and which is neither a graph input nor an initializer; the graph is incomplete — re-export the model.");
                }
            }
        }
        foreach (var o in graph.Output)
        {
            if (!producer.ContainsKey(o.Name) && !available.Contains(o.Name))
            {
                throw new ModelLoadException($"{origin}: graph output '{o.Name}' is produced by no node and is neither a graph input nor an initializer; the graph is incomplete — re-export the model.");
            }
        }

        var ready = new PriorityQueue<int, int>();
        for (var n = 0; n < graph.Node.Count; n++)
        {
            if (pending[n] == 0) ready.Enqueue(n, n);
        }
        var order = new List<int>(graph.Node.Count);
        while (ready.TryDequeue(out var n, out _))
        {
            order.Add(n);
            foreach (var d in dependents[n])
            {
                if (--pending[d] == 0) ready.Enqueue(d, d);
            }
        }
        if (order.Count < graph.Node.Count)
        {
            var stuck = Enumerable.Range(0, graph.Node.Count).Where(n => pending[n] > 0).Select(n => Describe(graph.Node[n], n)).ToList();
            var shown = string.Join(", ", stuck.Take(8)) + (stuck.Count > 8 ? $", … ({stuck.Count} nodes)" : "");
            throw new ModelLoadException($"{origin}: the graph has a cycle; these nodes wait on each other: [{shown}]; ONNX graphs must be acyclic — re-export the model.");
        }
        return [.. order];
    }

    private static string Describe(NodeProto node, int fileIndex) =>
        node.Name.Length > 0 ? $"'{node.Name}' ({node.OpType})" : $"#{fileIndex} ({node.OpType})";
}
