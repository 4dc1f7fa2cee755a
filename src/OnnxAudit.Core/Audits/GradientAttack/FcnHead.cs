using OnnxAudit.Errors;
using OnnxAudit.Onnx;
using Onnx;

namespace OnnxAudit.Audits.GradientAttack;

/// <summary>One affine layer of the head: z = W·x + b, W stored as [Out, In] row-major here.</summary>
/// <param name="WeightName">Initializer name of W.</param>
/// <param name="BiasName">Initializer name of b, or null.</param>
/// <param name="WeightTransposed">True when the initializer is stored [In, Out] (Gemm transB = 0 or MatMul).</param>
/// <param name="In">Input width d_i.</param>
/// <param name="Out">Output width d_{i+1}.</param>
/// <param name="Weight">W as [Out, In] row-major.</param>
/// <param name="Bias">b, or null.</param>
/// <param name="ReluOutput">Name of the ReLU output that follows this layer, or null for the last layer (or after exclusivity reduction).</param>
internal sealed record LinearLayer(string WeightName, string? BiasName, bool WeightTransposed, int In, int Out, float[] Weight, float[]? Bias, string? ReluOutput);

/// <summary>
/// The fully-connected classifier head g of f = g∘Φ: affine layers L_0…L_H with a ReLU after each but the last
/// (Pan et al. §3). Found by walking back from the logits output over Gemm / MatMul(+Add) / Relu nodes.
/// </summary>
internal sealed record FcnHead(string InputName, IReadOnlyList<LinearLayer> Layers, string LogitsName)
{
    /// <summary>d_0, the head input width.</summary>
    public int InputWidth => Layers[0].In;

    /// <summary>K, the number of classes.</summary>
    public int Classes => Layers[^1].Out;

    /// <summary>True when the head input is the graph input (or its Flatten): the model is a plain FCN.</summary>
    public bool IsWholeModel { get; init; }

    /// <summary>Extracts the head.</summary>
    /// <exception cref="UnsupportedOperatorException">The logits are not produced by an affine layer.</exception>
    public static FcnHead Extract(OnnxModel model)
    {
        var g = model.Graph;
        var producer = new Dictionary<string, NodeProto>();
        foreach (var n in g.Node) foreach (var o in n.Output) producer[o] = n;
        var inits = g.Initializer.ToDictionary(t => t.Name);
        var logits = g.Output[0].Name;
        var layers = new List<LinearLayer>();
        var t = logits;
        string? reluAfter = null;
        while (true)
        {
            if (!producer.TryGetValue(t, out var node)) break;
            LinearLayer? layer = null;
            string? x = null;
            if (node.OpType == "Gemm" && node.Input.Count >= 2 && inits.TryGetValue(node.Input[1], out var w))
            {
                var transB = node.Attribute.FirstOrDefault(a => a.Name == "transB")?.I ?? 0;
                var transA = node.Attribute.FirstOrDefault(a => a.Name == "transA")?.I ?? 0;
                var alpha = node.Attribute.FirstOrDefault(a => a.Name == "alpha") is { } al ? al.F : 1f;
                var beta = node.Attribute.FirstOrDefault(a => a.Name == "beta") is { } be ? be.F : 1f;
                if (transA != 0 || alpha != 1f || beta != 1f) break;
                TensorProto? b = node.Input.Count > 2 && inits.TryGetValue(node.Input[2], out var bb) ? bb : null;
                layer = Make(w, b, transposed: transB == 0, reluAfter);
                x = node.Input[0];
            }
            else if (node.OpType == "Add" && node.Input.Count == 2)
            {
                var bi = inits.ContainsKey(node.Input[1]) ? 1 : inits.ContainsKey(node.Input[0]) ? 0 : -1;
                if (bi < 0 || !producer.TryGetValue(node.Input[1 - bi], out var mm) || mm.OpType != "MatMul" || !inits.TryGetValue(mm.Input[1], out var mw)) break;
                layer = Make(mw, inits[node.Input[bi]], transposed: true, reluAfter);
                x = mm.Input[0];
            }
            else if (node.OpType == "MatMul" && inits.TryGetValue(node.Input[1], out var mw2))
            {
                layer = Make(mw2, null, transposed: true, reluAfter);
                x = node.Input[0];
            }
            if (layer is null)
            {
                // why: a ReLU whose input is not an affine layer belongs to Φ; the head starts at its output.
                if (reluAfter is not null) { t = reluAfter; reluAfter = null; }
                break;
            }
            layers.Insert(0, layer);
            t = x!;
            reluAfter = null;
            if (producer.TryGetValue(t, out var relu) && relu.OpType == "Relu")
            {
                reluAfter = t;
                t = relu.Input[0];
            }
            // else: an affine layer feeding another affine layer without ReLU (e.g. after exclusivity reduction);
            // keep walking — that layer then has ReluOutput = null.
        }
        if (layers.Count == 0)
            throw new UnsupportedOperatorException($"{model.Origin}: the output '{logits}' is not produced by a Gemm or MatMul(+Add) layer with constant weights; the exclusivity attack needs a fully-connected classifier head.");
        var graphInputs = g.Input.Select(i => i.Name).ToHashSet();
        var whole = graphInputs.Contains(t) || (producer.TryGetValue(t, out var fl) && fl.OpType is "Flatten" or "Reshape" && graphInputs.Contains(fl.Input[0]));
        return new FcnHead(t, layers, logits) { IsWholeModel = whole };
    }

    private static LinearLayer Make(TensorProto w, TensorProto? b, bool transposed, string? reluAfter)
    {
        var dims = TensorData.Dims(w);
        var data = TensorData.ToFloats(w);
        int rows = (int)dims[0], cols = (int)dims[1];
        int outW = transposed ? cols : rows, inW = transposed ? rows : cols;
        var weight = transposed ? Transpose(data, rows, cols) : data;
        return new LinearLayer(w.Name, b?.Name, transposed, inW, outW, weight, b is null ? null : TensorData.ToFloats(b), reluAfter);
    }

    /// <summary>[rows, cols] → [cols, rows].</summary>
    internal static float[] Transpose(float[] a, int rows, int cols)
    {
        var t = new float[a.Length];
        for (var r = 0; r < rows; r++)
            for (var c = 0; c < cols; c++)
                t[c * rows + r] = a[r * cols + c];
        return t;
    }

    /// <summary>The gradient of layer <paramref name="i"/>'s weight as [Out, In], from a gradient keyed by initializer names.</summary>
    public float[] WeightGradient(IReadOnlyDictionary<string, float[]> gradient, int i)
    {
        var l = Layers[i];
        if (!gradient.TryGetValue(l.WeightName, out var gw))
            throw new ArgumentException($"the gradient has no entry for '{l.WeightName}'", nameof(gradient));
        return l.WeightTransposed ? Transpose(gw, l.In, l.Out) : gw;
    }

    /// <summary>The gradient of layer <paramref name="i"/>'s bias, or null when it has none (or the gradient lacks it).</summary>
    public float[]? BiasGradient(IReadOnlyDictionary<string, float[]> gradient, int i) =>
        Layers[i].BiasName is { } n && gradient.TryGetValue(n, out var gb) ? gb : null;
}
