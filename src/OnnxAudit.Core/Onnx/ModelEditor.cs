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

    /// <summary>Prefix of the names of nodes and constants that <see cref="PrependNormalization"/> adds.</summary>
    public const string PreprocessPrefix = "onnx_audit.preprocess/";

    /// <summary>
    /// A copy of <paramref name="model"/> whose data input takes pixels in [0,1] and is normalised inside the graph by
    /// a prefix y = (x − mean[c]) / std[c] (a Sub and a Div node with constants shaped [1, C, 1, 1], or [1, D] for a flat
    /// [N, D] input whose D = C·plane). The input keeps its name and shape; every former consumer reads the Div output.
    /// </summary>
    /// <exception cref="ModelLoadException">The channel count does not match the input.</exception>
    public static OnnxModel PrependNormalization(OnnxModel model, IReadOnlyList<float> mean, IReadOnlyList<float> std)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(mean);
        ArgumentNullException.ThrowIfNull(std);
        var clone = model.Clone();
        var graph = clone.Graph;
        var input = DataInput(clone);
        var info = graph.Input.First(v => v.Name == input);
        var dims = info.Type?.TensorType?.Shape?.Dim.Select(d => d.HasDimValue ? d.DimValue : -1).ToArray() ?? [];
        var channels = Math.Max(mean.Count, std.Count);
        long[] constDims;
        float[] m, s;
        if (dims.Length == 4)
        {
            var c = dims[1] > 0 ? dims[1] : channels;
            if (channels != 1 && c != channels)
                throw new ModelLoadException($"{model.Origin}: normalisation has {channels} values but input '{input}' has {c} channels; give 1 or {c} mean/std values.");
            constDims = [1, c, 1, 1];
            m = Expand(mean, (int)c, 1);
            s = Expand(std, (int)c, 1);
        }
        else if (channels == 1 || dims.Length < 2)
        {
            constDims = [1];
            m = [mean[0]];
            s = [std[0]];
        }
        else
        {
            // why: a flat [N, D] (or [N, H, W]) input holds the C planes one after another (row-major C×H×W).
            var d = dims.Skip(1).Aggregate(1L, (a, b) => a * b);
            if (d <= 0 || d % channels != 0)
                throw new ModelLoadException($"{model.Origin}: input '{input}' of shape [{string.Join(",", dims)}] cannot hold {channels} channel planes; give one mean/std value.");
            constDims = [1, .. dims.Skip(1)];
            m = Expand(mean, channels, (int)(d / channels));
            s = Expand(std, channels, (int)(d / channels));
        }
        var normalized = PreprocessPrefix + input + "/normalized";
        var centred = PreprocessPrefix + input + "/centred";
        foreach (var node in graph.Node)
        {
            for (var i = 0; i < node.Input.Count; i++)
                if (node.Input[i] == input) node.Input[i] = normalized;
        }
        foreach (var o in graph.Output)
        {
            if (o.Name == input) throw new ModelLoadException($"{model.Origin}: the input '{input}' is also a graph output; it cannot be normalised in the graph.");
        }
        graph.Initializer.Add(FloatTensor(PreprocessPrefix + "mean", constDims, m));
        graph.Initializer.Add(FloatTensor(PreprocessPrefix + "std", constDims, s));
        graph.Node.Insert(0, new NodeProto { OpType = "Div", Name = PreprocessPrefix + "Div", Input = { centred, PreprocessPrefix + "std" }, Output = { normalized } });
        graph.Node.Insert(0, new NodeProto { OpType = "Sub", Name = PreprocessPrefix + "Sub", Input = { input, PreprocessPrefix + "mean" }, Output = { centred } });
        return OnnxModel.FromProto(clone.Proto, model.Origin);
    }

    /// <summary>The class names the model declares in <c>metadata_props</c> (key <c>classes</c>, <c>class_names</c>,
    /// <c>labels</c> or <c>names</c>: a JSON list, a JSON object index → name, or comma-separated), or null.</summary>
    public static IReadOnlyList<string>? ClassNames(OnnxModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        foreach (var key in new[] { "classes", "class_names", "labels", "names" })
        {
            var prop = model.Proto.MetadataProps.FirstOrDefault(p => string.Equals(p.Key, key, StringComparison.OrdinalIgnoreCase));
            if (prop is null || string.IsNullOrWhiteSpace(prop.Value)) continue;
            var v = prop.Value.Trim();
            try
            {
                if (v.StartsWith('['))
                    return System.Text.Json.JsonSerializer.Deserialize<string[]>(v);
                if (v.StartsWith('{'))
                {
                    var map = System.Text.Json.JsonSerializer.Deserialize<Dictionary<string, string>>(v)!;
                    return map.OrderBy(p => int.Parse(p.Key, System.Globalization.CultureInfo.InvariantCulture)).Select(p => p.Value).ToArray();
                }
            }
            catch (Exception e) when (e is System.Text.Json.JsonException or FormatException)
            {
                continue;
            }
            return v.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        }
        return null;
    }

    private static float[] Expand(IReadOnlyList<float> v, int c, int repeat)
    {
        var r = new float[c * repeat];
        for (var i = 0; i < r.Length; i++) r[i] = v[v.Count == 1 ? 0 : i / repeat];
        return r;
    }

    private static TensorProto FloatTensor(string name, long[] dims, float[] values)
    {
        var t = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float };
        t.Dims.AddRange(dims);
        t.FloatData.AddRange(values);
        return t;
    }
}
