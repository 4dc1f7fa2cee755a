using OnnxAudit.Onnx;
using Onnx;

namespace OnnxAudit.Audits.SplitInversion;

/// <summary>Fresh parameter values and small helpers for the trained attack networks. Stateless.</summary>
internal static class ParameterInit
{
    // why: PyTorch's default for Conv/Linear (kaiming_uniform with a = √5) is U(−1/√fan_in, 1/√fan_in) for the weight,
    // and the same bound for the bias; fan_in = in_channels·kH·kW (Linear: in_features).
    /// <summary>Fills <paramref name="values"/> with U(−1/√fanIn, 1/√fanIn).</summary>
    public static void Uniform(Span<float> values, long fanIn, Random rng)
    {
        var bound = 1.0 / Math.Sqrt(Math.Max(1, fanIn));
        for (var i = 0; i < values.Length; i++) values[i] = (float)((rng.NextDouble() * 2 - 1) * bound);
    }

    /// <summary>
    /// The trainable parameters of the nodes of <paramref name="graph"/> (Conv, ConvTranspose, Gemm, MatMul weights and
    /// their biases) with their fan-in, in node order. Other float initializers (norm statistics) are not listed.
    /// </summary>
    public static List<(string Name, long FanIn)> Trainable(GraphProto graph, IEnumerable<NodeProto> nodes)
    {
        var inits = graph.Initializer.ToDictionary(t => t.Name, StringComparer.Ordinal);
        var result = new List<(string, long)>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var n in nodes)
        {
            if (n.OpType is not ("Conv" or "ConvTranspose" or "Gemm" or "MatMul") || n.Input.Count < 2) continue;
            if (!inits.TryGetValue(n.Input[1], out var w)) continue;
            var d = TensorData.Dims(w);
            long fanIn = n.OpType switch
            {
                "Conv" => d.Skip(1).Aggregate(1L, (a, b) => a * b),
                "ConvTranspose" => d[0] * d.Skip(2).Aggregate(1L, (a, b) => a * b),
                "Gemm" => NodeAttributes.Int(n, "transB", 0) != 0 ? d[1] : d[0],
                _ => d[0],
            };
            if (seen.Add(w.Name)) result.Add((w.Name, fanIn));
            if (n.Input.Count > 2 && n.Input[2].Length > 0 && inits.ContainsKey(n.Input[2]) && seen.Add(n.Input[2])) result.Add((n.Input[2], fanIn));
        }
        return result;
    }

    /// <summary>Replaces the values of float initializers by name (same shapes).</summary>
    public static void Assign(GraphProto graph, IReadOnlyDictionary<string, float[]> values)
    {
        for (var i = 0; i < graph.Initializer.Count; i++)
        {
            var t = graph.Initializer[i];
            if (values.TryGetValue(t.Name, out var v)) graph.Initializer[i] = TensorData.FromFloats(t.Name, TensorData.Dims(t), v);
        }
    }
}
