namespace OnnxAudit.Graph;

/// <summary>Finds tensors that separate the graph input from the graph output.</summary>
internal static class SplitPointFinder
{
    // why: He et al. split the model into f1 (trusted device) and f2 (untrusted party) at one intermediate tensor;
    // that is only possible where every input→output data path passes through the tensor (a vertex cut of the data
    // graph). Constant tensors (initializers, Constant nodes and what is computed from them only) are not data and
    // are ignored. Tensors inside a merged layer (MatMul before its bias Add) are not offered: a layer is the unit.
    public static List<SplitPoint> Find(GraphContext ctx, IReadOnlyList<Layer> layers, Dictionary<string, int> layerOfTensor, string input, string output)
    {
        var result = new List<SplitPoint>();
        if (!ctx.DataDependent.Contains(output)) return result;
        var ancestors = Ancestors(ctx, output);
        var layerOutputs = new HashSet<string>(layers.Select(l => l.Output));
        var inputElements = ctx.ElementsPerSample(input);
        var candidates = ctx.Nodes.SelectMany(n => n.Output)
            .Where(t => t.Length > 0 && t != input && t != output && !t.StartsWith(Onnx.ModelEditor.PreprocessPrefix, StringComparison.Ordinal) && ctx.DataDependent.Contains(t) && ancestors.Contains(t) && layerOutputs.Contains(t));
        foreach (var t in candidates)
        {
            if (Reaches(ctx, input, output, t)) continue;
            var prefixNodes = Ancestors(ctx, t);
            var prefix = prefixNodes.Where(ctx.Producer.ContainsKey).Select(a => layerOfTensor[a]).Append(layerOfTensor[t])
                .Where(li => ctx.DataDependent.Contains(layers[li].Output)).Distinct().Order().ToList();
            var producer = layers[layerOfTensor[t]];
            var elements = ctx.ElementsPerSample(t);
            var shape = ctx.Shapes.TryGetValue(t, out var s) ? s.Shape : [];
            result.Add(new SplitPoint(t, shape, elements, elements > 0 ? (double)inputElements / elements : 0,
                producer.Index, producer.Label, prefix, string.Join(" → ", prefix.Select(li => layers[li].Label))));
        }
        return result;
    }

    /// <summary>Data-dependent tensors from which <paramref name="tensor"/> is computed (including itself).</summary>
    private static HashSet<string> Ancestors(GraphContext ctx, string tensor)
    {
        var seen = new HashSet<string> { tensor };
        var stack = new Stack<string>([tensor]);
        while (stack.TryPop(out var t))
        {
            if (!ctx.Producer.TryGetValue(t, out var p)) continue;
            foreach (var i in ctx.Nodes[p].Input)
            {
                if (i.Length > 0 && ctx.DataDependent.Contains(i) && seen.Add(i)) stack.Push(i);
            }
        }
        return seen;
    }

    /// <summary>Whether the output is still computed from the input when <paramref name="removed"/> is cut.</summary>
    private static bool Reaches(GraphContext ctx, string input, string output, string removed)
    {
        var seen = new HashSet<string> { input };
        var stack = new Stack<string>([input]);
        while (stack.TryPop(out var t))
        {
            if (t == output) return true;
            if (!ctx.Consumers.TryGetValue(t, out var consumers)) continue;
            foreach (var c in consumers)
            {
                foreach (var o in ctx.Nodes[c].Output)
                {
                    if (o.Length > 0 && o != removed && seen.Add(o)) stack.Push(o);
                }
            }
        }
        return false;
    }
}
