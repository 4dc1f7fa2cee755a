using System.Globalization;
using OnnxAudit.Common;
using OnnxAudit.Errors;
using Onnx;

namespace OnnxAudit.Onnx;

/// <summary>
/// Turns the main graph's <c>sparse_initializer</c> entries into dense initializers (after external data is inlined),
/// so that the graph analyzer and the gradient builder see ordinary weights. Float and int64 values are supported; other
/// element types, bad indices and sizes above <see cref="MemoryBudget"/> are refused with a one-line message.
/// </summary>
internal static class SparseInitializers
{
    /// <summary>Densifies every sparse initializer of <paramref name="model"/>'s main graph in place.</summary>
    /// <exception cref="ModelLoadException">A sparse initializer cannot be densified.</exception>
    public static void Densify(ModelProto model, string path)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (model.Graph is not { SparseInitializer.Count: > 0 } g) return;
        foreach (var sp in g.SparseInitializer)
        {
            try
            {
                g.Initializer.Add(ToDense(sp, path));
            }
            catch (Exception ex) when (ex is NotSupportedException or OverflowException or InvalidOperationException or ArgumentException)
            {
                throw new ModelLoadException($"{path}: sparse initializer '{SafeText.Escape(sp.Values?.Name, 80)}' cannot be read ({SafeText.Escape(ex.Message)}); the file is corrupt — re-export the model.", ex);
            }
        }
        g.SparseInitializer.Clear();
    }

    private static TensorProto ToDense(SparseTensorProto sp, string path)
    {
        var values = sp.Values ?? throw Bad(path, "(unnamed)", "has no values tensor");
        var name = values.Name;
        var shown = SafeText.Escape(name, 80);
        var dims = sp.Dims.ToArray();
        if (dims.Any(d => d < 0)) throw Bad(path, shown, $"declares a negative dimension [{string.Join(", ", dims)}]");
        var count = dims.Aggregate(1L, MemoryBudget.Multiply);
        var type = (TensorProto.Types.DataType)values.DataType;
        if (type is not (TensorProto.Types.DataType.Float or TensorProto.Types.DataType.Int64))
            throw new ModelLoadException($"{path}: sparse initializer '{shown}' has element type {type}; only FLOAT and INT64 sparse initializers are supported — convert it to a dense initializer (onnx.numpy_helper) and re-save the model.");
        MemoryBudget.Check(MemoryBudget.Multiply(count, 8), $"{path}: sparse initializer '{shown}' [{string.Join(", ", dims)}] as a dense tensor", "convert it to a dense initializer offline and audit a smaller model", m => new ModelLoadException(m));
        var nnz = values.Dims.Aggregate(1L, MemoryBudget.Multiply);
        var indices = sp.Indices is null ? [] : TensorData.ToInt64s(sp.Indices);
        var rank = dims.Length;
        // why: onnx.proto allows indices of shape [NNZ] (linearised) or [NNZ, rank] (coordinates).
        var coordinates = sp.Indices is { Dims.Count: 2 } && rank > 0;
        if (indices.LongLength != (coordinates ? nnz * rank : nnz))
            throw Bad(path, shown, $"has {nnz} values but {indices.LongLength} indices");
        var linear = new long[nnz];
        for (long k = 0; k < nnz; k++)
        {
            long at = 0;
            if (coordinates)
            {
                for (var r = 0; r < rank; r++)
                {
                    var c = indices[k * rank + r];
                    if (c < 0 || c >= dims[r]) throw Bad(path, shown, $"has index {c} on axis {r} outside [0, {dims[r]})");
                    at = at * dims[r] + c;
                }
            }
            else
            {
                at = indices[k];
                if (at < 0 || at >= count) throw Bad(path, shown, $"has index {at} outside [0, {count})");
            }
            linear[k] = at;
        }
        if (type == TensorProto.Types.DataType.Float)
        {
            var v = TensorData.ToFloats(values);
            if (v.LongLength != nnz) throw Bad(path, shown, $"declares {nnz} values but holds {v.LongLength}");
            var dense = new float[count];
            for (long k = 0; k < nnz; k++) dense[linear[k]] = v[k];
            return TensorData.FromFloats(name, dims, dense);
        }
        var iv = TensorData.ToInt64s(values);
        if (iv.LongLength != nnz) throw Bad(path, shown, $"declares {nnz} values but holds {iv.LongLength}");
        var di = new long[count];
        for (long k = 0; k < nnz; k++) di[linear[k]] = iv[k];
        return TensorData.FromInt64s(name, dims, di);
    }

    private static ModelLoadException Bad(string path, string name, string problem) =>
        new(string.Create(CultureInfo.InvariantCulture, $"{path}: sparse initializer '{name}' {problem}; the file is corrupt — re-export the model."));
}
