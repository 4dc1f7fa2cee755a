using Onnx;
using OnnxAudit.Onnx;

namespace OnnxAudit.Audits.SplitInversion;

/// <summary>Decides whether a prefix f1 is an affine function of its data input (f1(x) = A·x + b): every node whose
/// output depends on the input's values is a linear operator in that input (convolution, linear layer, batch norm,
/// addition of constants, pooling by averaging, reshaping …) and no nonlinearity lies between the input and the split
/// tensor. Stateless and thread-safe.</summary>
internal static class AffinePrefix
{
    // Ops that are affine in their (single) data-dependent input when every other input is value-independent.
    private static readonly HashSet<string> Affine = new(StringComparer.Ordinal)
    {
        "Conv", "ConvTranspose", "Gemm", "MatMul", "Add", "Sub", "Mul", "Div", "Neg", "BatchNormalization", "Flatten",
        "Reshape", "Transpose", "Squeeze", "Unsqueeze", "Identity", "Concat", "Split", "Slice", "Gather", "Pad",
        "AveragePool", "GlobalAveragePool", "ReduceMean", "ReduceSum", "Dropout", "Expand", "Tile", "Sum", "Mean",
        "DepthToSpace", "SpaceToDepth", "Einsum",
    };

    // Ops whose output does not depend on the values of their inputs (only on shapes).
    private static readonly HashSet<string> ValueFree = new(StringComparer.Ordinal) { "Shape", "Size", "Constant", "ConstantOfShape" };

    // Ops whose data-dependent operands must be at most one (a product of two data tensors is not affine).
    private static readonly HashSet<string> Bilinear = new(StringComparer.Ordinal) { "Conv", "ConvTranspose", "Gemm", "MatMul", "Mul", "Div", "Einsum" };

    /// <summary>True when <paramref name="prefix"/> (a model whose single output is the split tensor) is affine in its
    /// data input; <paramref name="why"/> names the first node that is not.</summary>
    public static bool IsAffine(OnnxModel prefix, out string why)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        var input = ModelEditor.DataInputInfo(prefix);
        if (input is null)
        {
            why = "the prefix has no data input";
            return false;
        }
        return IsAffine(prefix.Graph.Node.Select(n => (n.OpType, n.Name, (IReadOnlyList<string>)n.Input, (IReadOnlyList<string>)n.Output)), input.Name, out why);
    }

    /// <summary>True when the tensor <paramref name="tensor"/> of the analysed model is affine in the data input (the same
    /// rule as <see cref="IsAffine(OnnxModel, out string)"/> on the prefix, read from the analysis' nodes: only the
    /// tensor's ancestors count). Used by the time plan before any prefix is built.</summary>
    public static bool IsAffine(Graph.GraphAnalysis analysis, string tensor)
    {
        ArgumentNullException.ThrowIfNull(analysis);
        var producer = new Dictionary<string, Graph.GraphNode>(StringComparer.Ordinal);
        foreach (var n in analysis.Nodes) foreach (var o in n.Outputs) producer[o] = n;
        var ancestors = new HashSet<int>();
        var stack = new Stack<string>([tensor]);
        while (stack.Count > 0)
        {
            if (!producer.TryGetValue(stack.Pop(), out var n) || !ancestors.Add(n.Index)) continue;
            foreach (var i in n.Inputs) if (i.Length > 0) stack.Push(i);
        }
        return IsAffine(analysis.Nodes.Where(n => ancestors.Contains(n.Index)).Select(n => (n.OpType, n.Name, n.Inputs, n.Outputs)), analysis.InputTensor, out _);
    }

    private static bool IsAffine(IEnumerable<(string OpType, string Name, IReadOnlyList<string> Inputs, IReadOnlyList<string> Outputs)> nodes, string input, out string why)
    {
        var data = new HashSet<string>(StringComparer.Ordinal) { input };
        foreach (var node in nodes)
        {
            if (ValueFree.Contains(node.OpType)) continue;
            var dependent = node.Inputs.Select((name, i) => (name, i)).Where(p => p.name.Length > 0 && data.Contains(p.name)).ToList();
            if (dependent.Count == 0) continue;
            if (!Affine.Contains(node.OpType) || !IsLinearUse(node.OpType, dependent))
            {
                why = $"{node.OpType} '{node.Name}' is not affine in the input";
                return false;
            }
            foreach (var o in node.Outputs) data.Add(o);
        }
        why = "";
        return true;
    }

    private static bool IsLinearUse(string opType, List<(string Name, int Index)> dependent)
    {
        if (Bilinear.Contains(opType) && dependent.Count > 1) return false;
        return opType switch
        {
            "Conv" or "ConvTranspose" or "BatchNormalization" or "Div" or "Pad" or "Reshape" or "Slice" or "Expand" or "Tile"
                or "Squeeze" or "Unsqueeze" or "ReduceMean" or "ReduceSum" or "Split" => dependent.All(d => d.Index == 0),
            "Gather" => dependent.All(d => d.Index == 0),
            "Dropout" => dependent.All(d => d.Index == 0),
            _ => true,
        };
    }
}
