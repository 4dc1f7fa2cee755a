namespace OnnxAudit.Graph;

/// <summary>Finds the tensors that separate the graph input from the graph output, and the blocks they close.</summary>
internal static class SplitPointFinder
{
    // why: He et al. split the model into f1 (trusted device) and f2 (untrusted party) at one intermediate tensor;
    // that is only possible where every input→output data path passes through the tensor: the tensor dominates the
    // output in the data graph. Constant tensors (initializers, Constant nodes and what is computed from them only)
    // are not data and are ignored. Shape arithmetic is followed as a path (the suffix f2 would need the shape of a
    // tensor before the cut, and ModelEditor.CutAt refuses such a cut) but is never offered. Tensors inside a merged
    // layer (MatMul before its bias Add) are not offered: a layer is the unit.
    //
    // Dominators of a DAG in topological order: idom(v) is the lowest common ancestor, in the dominator tree built so
    // far, of v's predecessors (Cooper, Harvey & Kennedy's intersection, here with binary lifting so each query is
    // O(log N)). Everything is iterative: O(E log N) time, O(N log N) memory, no recursion.
    //
    // Blocks (issue 17): the layers between two consecutive dominators form a region; a region of several layers
    // (a residual, inception, dense, shuffle or attention unit) is named by the deepest PyTorch module its nodes share
    // ("/layer2/layer2.0/conv1/Conv" → module layer2/layer2.0). A dominator produced inside such a module and consumed
    // only inside it (the Add before a BasicBlock's last ReLU, the Concat before a channel shuffle) is internal to the
    // block and not offered; the block's output is. Graphs without module paths keep every dominator.
    public static List<SplitPoint> Find(GraphContext ctx, IReadOnlyList<Layer> layers, Dictionary<string, int> layerOfTensor, string input, string output, out List<GraphBlock> blocks)
    {
        blocks = [];
        var result = new List<SplitPoint>();
        if (!ctx.DataDependent.Contains(output) || input == output) return result;

        var dominators = Dominators(ctx, input, output);
        if (dominators is null) return result;

        // Regions: the layers each dominator (then the output) adds to what the previous one already needed.
        var regions = Regions(ctx, layerOfTensor, input, [.. dominators, output]);

        var layerOutputs = new HashSet<string>(layers.Select(l => l.Output));
        bool Offerable(string t) => ctx.Activations.Contains(t) && layerOutputs.Contains(t) && !t.StartsWith(Onnx.ModelEditor.PreprocessPrefix, StringComparison.Ordinal);

        // Merge the regions of dominators that are not offered into the next one.
        var cuts = new List<(string Tensor, List<int> Layers)>();
        var pending = new List<int>();
        for (var j = 0; j <= dominators.Count; j++)
        {
            pending.AddRange(regions[j]);
            var t = j < dominators.Count ? dominators[j] : output;
            if (j < dominators.Count && !Offerable(t)) continue;
            cuts.Add((t, pending));
            pending = [];
        }

        // Modules that hold a region of several layers: the DAG blocks.
        var blockModules = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (_, region) in cuts)
        {
            if (region.Count < 2) continue;
            var common = CommonModule(region.SelectMany(li => layers[li].NodeNames));
            if (common.Length > 1) blockModules.Add(common);
        }
        AddIndexedSiblings(blockModules, layers);
        AddSingleLayerModules(blockModules, layers);
        // why: a module holding every layer (a wrapper around the whole network) is no block: dropping what it
        // produces and consumes would drop every split point.
        blockModules.Remove(CommonModule(layers.SelectMany(l => l.NodeNames)));

        var kept = new List<(string Tensor, List<int> Layers)>();
        pending = [];
        for (var j = 0; j < cuts.Count; j++)
        {
            var (t, region) = cuts[j];
            pending.AddRange(region);
            var last = j == cuts.Count - 1;
            if (!last && Internal(ctx, t, blockModules)) continue;
            kept.Add((t, pending));
            pending = [];
        }

        var inputElements = ctx.ElementsPerSample(input);
        var prefix = new List<int>();
        var from = input;
        foreach (var (t, region) in kept)
        {
            region.Sort();
            var name = BlockName(ctx, layers, layerOfTensor, t, region, blockModules);
            blocks.Add(new GraphBlock(name, BlockKind(ctx, layers, region), from, t, region, region.Sum(li => layers[li].ParameterCount)));
            from = t;
            prefix.AddRange(region);
            if (t == output) break;
            var producer = layers[layerOfTensor[t]];
            var elements = ctx.ElementsPerSample(t);
            var shape = ctx.Shapes.TryGetValue(t, out var s) ? s.Shape : [];
            var ordered = prefix.Distinct().Order().ToList();
            result.Add(new SplitPoint(t, shape, elements, elements > 0 ? (double)inputElements / elements : 0,
                producer.Index, producer.Label, ordered, string.Join(" → ", ordered.Select(li => layers[li].Label)), name));
        }
        return result;
    }

    /// <summary>The dominators of <paramref name="output"/> in the data graph rooted at <paramref name="input"/>, in
    /// execution order (both ends excluded), or null when the output is not computed from the input.</summary>
    internal static List<string>? Dominators(GraphContext ctx, string input, string output)
    {
        var capacity = 1 + ctx.Nodes.Sum(n => n.Output.Count);
        var log = 1;
        while ((1 << log) < capacity) log++;
        var up = new int[log][];
        for (var k = 0; k < log; k++) up[k] = new int[capacity];
        var depth = new int[capacity];
        var id = new Dictionary<string, int>(StringComparer.Ordinal) { [input] = 0 };
        var names = new List<string>(capacity) { input };

        int Lca(int a, int b)
        {
            if (depth[a] < depth[b]) (a, b) = (b, a);
            var diff = depth[a] - depth[b];
            for (var k = 0; diff > 0; k++, diff >>= 1)
                if ((diff & 1) != 0) a = up[k][a];
            if (a == b) return a;
            for (var k = log - 1; k >= 0; k--)
            {
                if (up[k][a] != up[k][b])
                {
                    a = up[k][a];
                    b = up[k][b];
                }
            }
            return up[0][a];
        }

        foreach (var node in ctx.Nodes)
        {
            var idom = -1;
            foreach (var i in node.Input)
            {
                if (i.Length == 0 || !id.TryGetValue(i, out var p)) continue;
                idom = idom < 0 ? p : Lca(idom, p);
            }
            if (idom < 0) continue;
            foreach (var o in node.Output)
            {
                if (o.Length == 0 || id.ContainsKey(o)) continue;
                var v = names.Count;
                id[o] = v;
                names.Add(o);
                depth[v] = depth[idom] + 1;
                up[0][v] = idom;
                for (var k = 1; k < log; k++) up[k][v] = up[k - 1][up[k - 1][v]];
            }
        }
        if (!id.TryGetValue(output, out var w)) return null;
        var chain = new List<string>();
        for (var d = up[0][w]; d != 0; d = up[0][d]) chain.Add(names[d]);
        chain.Reverse();
        return chain;
    }

    /// <summary>For each tensor of <paramref name="cuts"/> in order, the layers among its ancestors that no earlier
    /// cut needs (a backward walk that stops where an earlier walk has been: O(N) in total).</summary>
    private static List<List<int>> Regions(GraphContext ctx, Dictionary<string, int> layerOfTensor, string input, IReadOnlyList<string> cuts)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal) { input };
        var regions = new List<List<int>>(cuts.Count);
        var stack = new Stack<string>();
        foreach (var cut in cuts)
        {
            var region = new HashSet<int>();
            if (seen.Add(cut)) stack.Push(cut);
            while (stack.TryPop(out var t))
            {
                if (layerOfTensor.TryGetValue(t, out var li)) region.Add(li);
                if (!ctx.Producer.TryGetValue(t, out var p)) continue;
                foreach (var i in ctx.Nodes[p].Input)
                {
                    if (i.Length > 0 && ctx.DataDependent.Contains(i) && seen.Add(i)) stack.Push(i);
                }
            }
            regions.Add([.. region]);
        }
        return regions;
    }

    // why: a stack of blocks is one kind of unit: in MobileNet, MnasNet, EfficientNet or RegNet the first block of a
    // stage has no skip connection (stride 2 or a new width) while its siblings do, so "layers.8.0" is as much a block
    // as "layers.8.1", and a stage of one block ("features.1.0") is a block like "features.2.0". Modules of one family
    // have the same path with the indices left out ("/features/features.#/features.#.#/").
    private static void AddIndexedSiblings(HashSet<string> blockModules, IReadOnlyList<Layer> layers)
    {
        if (blockModules.Count == 0) return;
        var families = new HashSet<string>(StringComparer.Ordinal);
        foreach (var m in blockModules)
        {
            if (Family(m) is { } f) families.Add(f);
        }
        if (families.Count == 0) return;
        foreach (var key in layers.SelectMany(l => l.NodeNames).Select(ModuleKey).Distinct())
        {
            // every module on the path of the node: "/a/", "/a/b/", …
            for (var i = key.IndexOf('/', 1); i > 0; i = key.IndexOf('/', i + 1))
            {
                var prefix = key[..(i + 1)];
                if (Family(prefix) is { } f && families.Contains(f)) blockModules.Add(prefix);
            }
        }
    }

    /// <summary>"/layers/layers.8/layers.8.1/" → "/layers/layers.#/layers.#.#/"; null when the module's own name has no index.</summary>
    private static string? Family(string key)
    {
        var end = key.Length - 1;
        var start = key.LastIndexOf('/', end - 1) + 1;
        if (!key.AsSpan(start, end - start).ContainsAnyInRange('0', '9')) return null;
        var sb = new System.Text.StringBuilder(key.Length);
        for (var i = 0; i < key.Length; i++)
        {
            if (char.IsAsciiDigit(key[i]))
            {
                if (i == 0 || !char.IsAsciiDigit(key[i - 1])) sb.Append('#');
            }
            else sb.Append(key[i]);
        }
        return sb.ToString();
    }

    private static readonly HashSet<LayerKind> Computing = [LayerKind.Linear, LayerKind.Convolution, LayerKind.Activation, LayerKind.Pooling, LayerKind.Normalization];

    // why: one PyTorch module can export several nodes around a single computation — LayerNorm2d as Transpose →
    // LayerNormalization → Transpose, AvgPool2d as Pad → AveragePool, LayerNorm before opset 17 as nine elementwise
    // nodes. Its inner tensors are not offered: a module whose own nodes hold at most one convolution, linear,
    // activation, pooling or normalisation layer is one unit. A module computing several layers in its own forward
    // keeps every split point.
    private static void AddSingleLayerModules(HashSet<string> blockModules, IReadOnlyList<Layer> layers)
    {
        foreach (var group in layers.GroupBy(l => ModuleKey(l.NodeNames[0]), StringComparer.Ordinal))
        {
            if (group.Key.Length <= 1 || group.Count() < 2) continue;
            if (group.Count(l => Computing.Contains(l.Kind)) <= 1) blockModules.Add(group.Key);
        }
    }

    /// <summary>Whether <paramref name="tensor"/> is produced and consumed inside one DAG block.</summary>
    private static bool Internal(GraphContext ctx, string tensor, HashSet<string> blockModules)
    {
        if (blockModules.Count == 0 || ctx.OutputNames.Contains(tensor) || !ctx.Producer.TryGetValue(tensor, out var p)) return false;
        var produced = ModuleKey(ctx.Nodes[p].Name);
        if (!ctx.Consumers.TryGetValue(tensor, out var consumers) || consumers.Count == 0) return false;
        var consumed = consumers.Select(c => ModuleKey(ctx.Nodes[c].Name)).ToList();
        return blockModules.Any(m => produced.StartsWith(m, StringComparison.Ordinal) && consumed.All(c => c.StartsWith(m, StringComparison.Ordinal)));
    }

    private static string BlockName(GraphContext ctx, IReadOnlyList<Layer> layers, Dictionary<string, int> layerOfTensor, string tensor, List<int> region, HashSet<string> blockModules)
    {
        var producer = ctx.Producer.TryGetValue(tensor, out var p) ? ModuleKey(ctx.Nodes[p].Name) : "/";
        // The outermost DAG block whose output this is.
        var module = blockModules.Where(m => producer.StartsWith(m, StringComparison.Ordinal)).OrderBy(m => m.Length).FirstOrDefault();
        if (module is null && region.Count > 1)
        {
            var common = CommonModule(region.SelectMany(li => layers[li].NodeNames));
            if (common.Length > 1) module = common;
        }
        if (module is not null) return ModuleName(module);
        return layerOfTensor.TryGetValue(tensor, out var li2) ? layers[li2].Label : tensor;
    }

    private static string BlockKind(GraphContext ctx, IReadOnlyList<Layer> layers, List<int> region)
    {
        if (region.Count == 1) return "layer";
        var joins = new List<string>();
        foreach (var li in region)
        {
            var l = layers[li];
            if (!ctx.Producer.TryGetValue(l.Output, out var p)) continue;
            if (ctx.Nodes[p].Input.Where(ctx.Activations.Contains).Distinct().Count() >= 2) joins.Add(l.OpType);
        }
        if (joins.Count == 0) return "chain";
        if (joins.Any(j => j is "Add" or "Sum")) return "residual";
        if (joins.Contains("Concat")) return "concat";
        if (joins.Contains("Mul")) return "gated";
        return "dag";
    }

    /// <summary>"/layer2/layer2.0/conv1/Conv" → "/layer2/layer2.0/conv1/"; a name that is no module path → "/".</summary>
    internal static string ModuleKey(string nodeName)
    {
        if (!nodeName.StartsWith('/')) return "/";
        var cut = nodeName.LastIndexOf('/');
        return nodeName[..(cut + 1)];
    }

    /// <summary>The longest module key shared by all the nodes ("/" when none).</summary>
    internal static string CommonModule(IEnumerable<string> nodeNames)
    {
        string? common = null;
        foreach (var n in nodeNames)
        {
            var k = ModuleKey(n);
            if (common is null) { common = k; continue; }
            var len = 0;
            var max = Math.Min(common.Length, k.Length);
            for (var i = 0; i < max && common[i] == k[i]; i++)
                if (common[i] == '/') len = i + 1;
            common = common[..len];
            if (common.Length <= 1) return "/";
        }
        return common ?? "/";
    }

    /// <summary>"/layer2/layer2.0/" → "layer2.0"; "/encoder/layers/encoder_layer_0/" → "encoder.layers.encoder_layer_0".</summary>
    internal static string ModuleName(string key)
    {
        var parts = key.Split('/', StringSplitOptions.RemoveEmptyEntries);
        // why: PyTorch repeats the parent path in nested scopes ("layer2/layer2.0"): keep the most specific part.
        var kept = parts.Where((part, i) => i == parts.Length - 1 || !parts[i + 1].StartsWith(part + ".", StringComparison.Ordinal));
        return string.Join(".", kept);
    }
}
