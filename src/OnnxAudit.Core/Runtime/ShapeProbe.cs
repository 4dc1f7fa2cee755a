using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using OnnxAudit.Errors;
using OnnxAudit.Graph;
using OnnxAudit.Onnx;
using Onnx;

namespace OnnxAudit.Runtime;

/// <summary>
/// Measures the shape of every tensor by running ONNX Runtime once on a dummy batch, with every node output
/// exposed as a graph output. The graph analyzer's shape source when ONNX Runtime is available.
/// </summary>
/// <param name="runtime">How the probe session is created (graph optimisations are always off).</param>
public sealed class ShapeProbe(RuntimeOptions runtime) : ITensorShapeSource
{
    /// <inheritdoc />
    /// <summary>Runs the probe. <paramref name="batch"/> receives the batch size actually used (the model's fixed
    /// batch dimension when the primary input has one).</summary>
    public Dictionary<string, TensorShapeInfo> Measure(OnnxModel model, IReadOnlyList<ValueInfoProto> dataInputs, int batchSize, out int batch)
    {
        var origin = model.Origin;
        var feeds = new List<(string Name, int ElemType, long[] Dims)>();
        batch = batchSize;
        for (var k = 0; k < dataInputs.Count; k++)
        {
            var vi = dataInputs[k];
            var tt = vi.Type?.TensorType ?? throw new ModelLoadException($"{origin}: graph input '{vi.Name}' is not a tensor (or has no type); only tensor inputs are supported — re-export the model with a typed tensor input.");
            var dims = new long[tt.Shape?.Dim.Count ?? 0];
            var substituted = false;
            for (var a = 0; a < dims.Length; a++)
            {
                var d = tt.Shape!.Dim[a];
                if (d.ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue && d.DimValue > 0)
                {
                    dims[a] = d.DimValue;
                }
                else if (!substituted)
                {
                    // why: exporters mark only the batch axis dynamic; the first symbolic (or unknown) dimension is taken
                    // to be the batch and gets the requested batch size.
                    dims[a] = batchSize;
                    substituted = true;
                }
                else
                {
                    var label = d.ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimParam ? $"symbolic dimension '{d.DimParam}'" : "an unknown dimension";
                    throw new ModelLoadException($"{origin}: graph input '{vi.Name}' has {label} at axis {a} besides the batch dimension; only one dimension (the batch) may be free — re-export the model with fixed sizes for the other axes.");
                }
            }
            // why: per-sample sizes are relative to the primary input's first axis; when the model fixes it, that
            // fixed value is the batch the shapes were measured at.
            if (k == 0) batch = dims.Length > 0 ? (int)dims[0] : 1;
            feeds.Add((vi.Name, tt.ElemType, dims));
        }

        // Expose every node output. why: ONNX Runtime accepts graph outputs without a type and infers it; when
        // value_info declares the type we pass it on (it also lets ORT check it).
        var probe = model.Proto.Clone();
        var g = probe.Graph;
        var declared = g.ValueInfo.GroupBy(v => v.Name).ToDictionary(x => x.Key, x => x.First());
        var outputs = new HashSet<string>(g.Output.Select(o => o.Name));
        var inputNames = new HashSet<string>(g.Input.Select(i => i.Name));
        foreach (var node in g.Node)
        {
            foreach (var o in node.Output)
            {
                if (o.Length == 0 || outputs.Contains(o) || inputNames.Contains(o)) continue;
                g.Output.Add(declared.TryGetValue(o, out var v) ? v.Clone() : new ValueInfoProto { Name = o });
                outputs.Add(o);
            }
        }

        var result = new Dictionary<string, TensorShapeInfo>();
        var values = new List<OrtValue>();
        try
        {
            foreach (var (name, elemType, dims) in feeds)
            {
                values.Add(DummyValue(origin, name, elemType, dims));
                result[name] = Info(name, elemType, dims, batch);
            }
            using var session = SessionFactory.Create(OnnxWireFormat.ToBytes(probe), runtime with { OptimizationLevel = false }, origin);
            var names = session.OutputNames.ToList();
            using var runOptions = new RunOptions();
            IDisposableReadOnlyCollection<OrtValue> results;
            try
            {
                results = session.Run(runOptions, feeds.Select(f => f.Name).ToList(), values, names);
            }
            catch (OnnxRuntimeException ex)
            {
                throw new ModelLoadException($"{origin}: ONNX Runtime failed to run the model on a dummy batch of {batch} ({SessionFactory.Explain(ex.Message)}); check the input shape and that the model runs in ONNX Runtime 1.31.", ex);
            }
            using (results)
            {
                for (var i = 0; i < names.Count; i++)
                {
                    var v = results.ElementAt(i);
                    if (v.OnnxType != OnnxValueType.ONNX_TYPE_TENSOR) continue;
                    var ts = v.GetTensorTypeAndShape();
                    result[names[i]] = Info(names[i], (int)ts.ElementDataType, ts.Shape, batch);
                }
            }
        }
        finally
        {
            foreach (var v in values) v.Dispose();
        }
        return result;
    }

    private static TensorShapeInfo Info(string name, int elemType, long[] shape, int batch)
    {
        var total = shape.Aggregate(1L, (a, b) => a * b);
        var batched = shape.Length > 0 && shape[0] == batch;
        return new TensorShapeInfo(name, ElementTypes.Name(elemType), shape, batched ? total / Math.Max(batch, 1) : total, batched);
    }

    // Deterministic dummy data in [0, 1): the fractional parts of i·φ (float), parities for integer inputs.
    private static OrtValue DummyValue(string origin, string name, int elemType, long[] dims)
    {
        var n = checked((int)dims.Aggregate(1L, (a, b) => a * b));
        switch ((TensorElementType)elemType)
        {
            case TensorElementType.Float:
                return OrtValue.CreateTensorValueFromMemory(Enumerable.Range(0, n).Select(i => (float)(i * 0.6180339887498949 % 1.0)).ToArray(), dims);
            case TensorElementType.Double:
                return OrtValue.CreateTensorValueFromMemory(Enumerable.Range(0, n).Select(i => i * 0.6180339887498949 % 1.0).ToArray(), dims);
            case TensorElementType.Int64:
                return OrtValue.CreateTensorValueFromMemory(Enumerable.Range(0, n).Select(i => (long)(i % 2)).ToArray(), dims);
            case TensorElementType.Int32:
                return OrtValue.CreateTensorValueFromMemory(Enumerable.Range(0, n).Select(i => i % 2).ToArray(), dims);
            case TensorElementType.UInt8:
                return OrtValue.CreateTensorValueFromMemory(Enumerable.Range(0, n).Select(i => (byte)(i % 2)).ToArray(), dims);
            case TensorElementType.Bool:
                return OrtValue.CreateTensorValueFromMemory(Enumerable.Range(0, n).Select(i => i % 2 == 1).ToArray(), dims);
            default:
                throw new ModelLoadException($"{origin}: graph input '{name}' has element type {ElementTypes.Name(elemType)}; the shape probe feeds float, double, int64, int32, uint8 or bool inputs — convert the model's input to float32.");
        }
    }
}
