namespace OnnxAudit.Graph;

/// <summary>Finds tensors that separate the graph input from the graph output.</summary>
internal static class SplitPointFinder
{
    /// <summary>Prefix descriptions longer than this many layers keep both ends and a count (see <see cref="Describe"/>).</summary>
    internal const int DescriptionLayers = 16;

    // why: He et al. split the model into f1 (trusted device) and f2 (untrusted party) at one intermediate tensor;
    // that is only possible where every input→output data path passes through the tensor (a vertex cut of the data
    // graph). Constant tensors (initializers, Constant nodes and what is computed from them only) are not data and
    // are ignored. Tensors inside a merged layer (MatMul before its bias Add) are not offered: a layer is the unit.
    // why (issue 15): the tensors every path passes through are the dominators of the output in the data graph rooted
    // at the input, and they are totally ordered (each dominates the next), so each prefix contains the one before.
    // One dominator pass, one incremental ancestor walk and prefixes shared as slices of one list make this
    // O(N log N); the former cut test and ancestor walk per candidate cost O(N²) (a 4,000-Identity chain took 12 s).
    public static List<SplitPoint> Find(GraphContext ctx, IReadOnlyList<Layer> layers, Dictionary<string, int> layerOfTensor, string input, string output)
    {
        var result = new List<SplitPoint>();
        if (!ctx.DataDependent.Contains(output)) return result;
        var layerOutputs = new HashSet<string>(layers.Select(l => l.Output));
        var inputElements = ctx.ElementsPerSample(input);
        var chain = Dominators(ctx, input, output);
        var candidates = chain.Where(t => t != input && t != output && !t.StartsWith(Onnx.ModelEditor.PreprocessPrefix, StringComparison.Ordinal)
            && ctx.DataDependent.Contains(t) && layerOutputs.Contains(t));

        // Prefix layers, accumulated over the (nested) prefixes in execution order.
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var inPrefix = new HashSet<int>();
        var shared = new List<int>();
        foreach (var t in candidates)
        {
            var added = new List<int>();
            foreach (var a in NewAncestors(ctx, t, seen))
            {
                if (ctx.Producer.ContainsKey(a) && inPrefix.Add(layerOfTensor[a])) added.Add(layerOfTensor[a]);
            }
            if (inPrefix.Add(layerOfTensor[t])) added.Add(layerOfTensor[t]);
            added.RemoveAll(li => !ctx.DataDependent.Contains(layers[li].Output));
            added.Sort();
            // The new layers normally all come after the earlier prefix in execution order (they depend on the
            // previous split point), so the prefix is a slice of one shared list; otherwise a sorted copy becomes the
            // new shared list (the earlier slices keep the old one, which no longer changes).
            if (shared.Count > 0 && added.Count > 0 && added[0] < shared[^1])
            {
                shared = [.. shared, .. added];
                shared.Sort();
            }
            else shared.AddRange(added);
            IReadOnlyList<int> prefix = new SharedPrefix(shared, shared.Count);
            var producer = layers[layerOfTensor[t]];
            var elements = ctx.ElementsPerSample(t);
            var shape = ctx.Shapes.TryGetValue(t, out var s) ? s.Shape : [];
            result.Add(new SplitPoint(t, shape, elements, elements > 0 ? (double)inputElements / elements : 0,
                producer.Index, producer.Label, prefix, Describe(prefix, layers)));
        }
        return result;
    }

    /// <summary>The prefix labels joined by " → "; more than <see cref="DescriptionLayers"/> layers keep two at each end
    /// and a count, so the description stays short for deep models.</summary>
    internal static string Describe(IReadOnlyList<int> prefix, IReadOnlyList<Layer> layers)
    {
        if (prefix.Count <= DescriptionLayers) return string.Join(" → ", prefix.Select(li => layers[li].Label));
        return $"{layers[prefix[0]].Label} → {layers[prefix[1]].Label} → … ({prefix.Count - 4} more layers) … → {layers[prefix[^2]].Label} → {layers[prefix[^1]].Label}";
    }

    /// <summary>The tensors every path from <paramref name="input"/> to <paramref name="output"/> passes through (both
    /// included), in execution order; empty when the output is not computed from the input.</summary>
    private static List<string> Dominators(GraphContext ctx, string input, string output)
    {
        // Tensors reachable from the input, numbered in topological order (the input is 0).
        var id = new Dictionary<string, int>(StringComparer.Ordinal) { [input] = 0 };
        var names = new List<string> { input };
        var preds = new List<int[]> { Array.Empty<int>() };
        foreach (var n in ctx.Nodes)
        {
            var from = n.Input.Where(i => i.Length > 0 && id.ContainsKey(i)).Select(i => id[i]).Distinct().ToArray();
            if (from.Length == 0) continue;
            foreach (var o in n.Output)
            {
                if (o.Length == 0 || id.ContainsKey(o)) continue;
                id[o] = names.Count;
                names.Add(o);
                preds.Add(from);
            }
        }
        if (!id.TryGetValue(output, out var target)) return [];
        // Immediate dominators on a DAG in topological order: idom(v) = the lowest common dominator of v's
        // predecessors, found by binary lifting over the dominator tree built so far.
        var count = names.Count;
        var levels = 1;
        while ((1 << levels) < count) levels++;
        var up = new int[levels + 1][];
        for (var k = 0; k <= levels; k++) up[k] = new int[count];
        var depth = new int[count];
        for (var v = 1; v < count; v++)
        {
            var d = preds[v][0];
            for (var j = 1; j < preds[v].Length; j++) d = Lca(d, preds[v][j], up, depth, levels);
            depth[v] = depth[d] + 1;
            up[0][v] = d;
            for (var k = 1; k <= levels; k++) up[k][v] = up[k - 1][up[k - 1][v]];
        }
        var chain = new List<string>();
        for (var v = target; ; v = up[0][v])
        {
            chain.Add(names[v]);
            if (v == 0) break;
        }
        chain.Reverse();
        return chain;
    }

    private static int Lca(int a, int b, int[][] up, int[] depth, int levels)
    {
        if (depth[a] < depth[b]) (a, b) = (b, a);
        for (var k = levels; k >= 0; k--)
            if (depth[a] - (1 << k) >= depth[b]) a = up[k][a];
        if (a == b) return a;
        for (var k = levels; k >= 0; k--)
        {
            if (up[k][a] != up[k][b])
            {
                a = up[k][a];
                b = up[k][b];
            }
        }
        return up[0][a];
    }

    /// <summary>Data-dependent tensors from which <paramref name="tensor"/> is computed (including itself) that are not
    /// yet in <paramref name="seen"/>; they are added to it, and the walk stops at tensors already seen.</summary>
    private static List<string> NewAncestors(GraphContext ctx, string tensor, HashSet<string> seen)
    {
        var found = new List<string>();
        if (!seen.Add(tensor)) return found;
        found.Add(tensor);
        var stack = new Stack<string>([tensor]);
        while (stack.TryPop(out var t))
        {
            if (!ctx.Producer.TryGetValue(t, out var p)) continue;
            foreach (var i in ctx.Nodes[p].Input)
            {
                if (i.Length > 0 && ctx.DataDependent.Contains(i) && seen.Add(i))
                {
                    found.Add(i);
                    stack.Push(i);
                }
            }
        }
        return found;
    }

    /// <summary>The first <c>count</c> entries of a list that only grows: prefixes of nested split points share it.</summary>
    private sealed class SharedPrefix(List<int> items, int count) : IReadOnlyList<int>
    {
        public int this[int index] => (uint)index < (uint)count ? items[index] : throw new ArgumentOutOfRangeException(nameof(index));

        public int Count => count;

        public IEnumerator<int> GetEnumerator()
        {
            for (var i = 0; i < count; i++) yield return items[i];
        }

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
