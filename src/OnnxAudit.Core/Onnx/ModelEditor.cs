using OnnxAudit.Errors;
using Onnx;

namespace OnnxAudit.Onnx;

/// <summary>
/// Derived models built from a model without touching it: intermediate tensors exposed as outputs, the data input.
/// Every method returns a new model (a deep copy) or reads only. Thread-safe for distinct inputs.
/// </summary>
public static class ModelEditor
{
    /// <summary>The data input: the first graph input that is not an initializer (before IR 4 initializers were also
    /// listed as graph inputs; those are weights, not data).</summary>
    /// <exception cref="ModelLoadException">Every graph input is an initializer.</exception>
    public static string DataInput(OnnxModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return DataInputs(model).FirstOrDefault()
            ?? throw new ModelLoadException($"{model.Origin}: the graph has no data input (every input is an initializer); an image classifier needs one — re-export the model with its input.");
    }

    /// <summary>The data input's declaration (first graph input that is not an initializer), or null.</summary>
    public static ValueInfoProto? DataInputInfo(OnnxModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var name = DataInputs(model).FirstOrDefault();
        return name is null ? null : model.Graph.Input.First(v => v.Name == name);
    }

    /// <summary>Every graph input that is not an initializer, in declaration order.</summary>
    public static IReadOnlyList<string> DataInputs(OnnxModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var initializers = model.Graph.Initializer.Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
        return model.Graph.Input.Select(v => v.Name).Where(n => !initializers.Contains(n)).ToList();
    }

    /// <summary>
    /// A copy of <paramref name="model"/> whose graph outputs also include <paramref name="tensors"/> (node outputs, typed
    /// float). Tensors that already are graph outputs are left as they are.
    /// </summary>
    /// <exception cref="ModelLoadException">A name is not produced by any node.</exception>
    public static OnnxModel ExposeOutputs(OnnxModel model, IEnumerable<string> tensors)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(tensors);
        var clone = model.Clone();
        var graph = clone.Graph;
        var produced = graph.Node.SelectMany(n => n.Output).ToHashSet(StringComparer.Ordinal);
        foreach (var name in tensors)
        {
            if (graph.Output.Any(o => o.Name == name)) continue;
            if (!produced.Contains(name))
                throw new ModelLoadException($"{model.Origin}: tensor '{name}' is not produced by any node; pass a tensor name of the model (see `onnx-audit inspect`).");
            graph.Output.Add(new ValueInfoProto
            {
                Name = name,
                Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float } },
            });
        }
        return clone;
    }
}
