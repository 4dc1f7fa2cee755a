using OnnxAudit.Errors;
using OnnxAudit.Graph;
using OnnxAudit.Onnx;
using Onnx;
using DataType = global::Onnx.TensorProto.Types.DataType;

namespace OnnxAudit.Audits.SplitInversion;

/// <summary>The two halves of a model split at one tensor: f1 runs on the trusted device, f2 on the untrusted party.</summary>
/// <param name="Point">The split point.</param>
/// <param name="Prefix">f1: the model's data input → the split tensor (its only output).</param>
/// <param name="Suffix">f2: the split tensor (its only data input, same name) → the model's outputs.</param>
internal sealed record SplitModels(SplitPoint Point, OnnxModel Prefix, OnnxModel Suffix);

/// <summary>Cuts an ONNX model into prefix f1 and suffix f2 at a split tensor. Stateless and thread-safe; the input
/// model is not modified.</summary>
internal static class ModelSplitter
{
    /// <summary>Builds f1 and f2 for <paramref name="point"/>. Nodes and initializers a half does not use are dropped;
    /// the split tensor gets a float value_info with a symbolic batch dimension "N" and the analysed per-sample shape.</summary>
    /// <exception cref="OnnxAuditException">The tensor is not produced by the model, or the graph does not separate there.</exception>
    public static SplitModels Split(OnnxModel model, SplitPoint point)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(point);
        var cut = ModelEditor.CutAt(model, FloatValueInfo(point.Tensor, point.Shape),
            prefixOrigin: $"{model.Origin} [f1 → {point.Tensor}]", suffixOrigin: $"{model.Origin} [{point.Tensor} → f2]");
        return new SplitModels(point, cut.Prefix, cut.Suffix);
    }

    /// <summary>A float tensor value_info with dim 0 symbolic ("N") and the remaining dims from <paramref name="shape"/>.</summary>
    internal static ValueInfoProto FloatValueInfo(string name, IReadOnlyList<long> shape)
    {
        var tt = new TypeProto.Types.Tensor { ElemType = (int)DataType.Float, Shape = new TensorShapeProto() };
        for (var i = 0; i < shape.Count; i++)
            tt.Shape.Dim.Add(i == 0 ? new TensorShapeProto.Types.Dimension { DimParam = "N" } : new TensorShapeProto.Types.Dimension { DimValue = shape[i] });
        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = tt } };
    }
}
