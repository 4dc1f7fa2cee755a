using Microsoft.ML.OnnxRuntime;
using OnnxAudit.Autodiff;
using OnnxAudit.Onnx;
using Onnx;
using OnnxAudit.Runtime;
using static OnnxAudit.Onnx.NodeAttributes;

namespace OnnxAudit.Tests.Autodiff;

/// <summary>A single-op test model: float graph inputs (all differentiated), constant initializers, one node, output "y".</summary>
public sealed record OpCase(string Name, string Op, string[] NodeInputs, (string Name, long[] Dims)[] FloatInputs,
    TensorProto[] Consts, AttributeProto[] Attrs, long Opset = 17, bool Distinct = false, int Outputs = 1, bool Positive = false)
{
    public override string ToString() => Name;
}

/// <summary>Builds and runs single-op models and their gradient models.</summary>
internal static class OpHarness
{
    public static OnnxModel Model(OpCase c)
    {
        var g = new GraphProto { Name = c.Name };
        foreach (var (name, dims) in c.FloatInputs) g.Input.Add(Vi(name, TensorProto.Types.DataType.Float, dims));
        g.Initializer.AddRange(c.Consts.Select(t => t.Clone()));
        var node = new NodeProto { OpType = c.Op, Name = "op" };
        node.Input.AddRange(c.NodeInputs);
        node.Output.Add("y");
        for (var i = 1; i < c.Outputs; i++) node.Output.Add("y" + i);
        node.Attribute.AddRange(c.Attrs);
        g.Node.Add(node);
        g.Output.Add(new ValueInfoProto { Name = "y", Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float } } });
        var m = new ModelProto { IrVersion = 8, Graph = g, ProducerName = "tests" };
        m.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = c.Opset });
        return OnnxModel.FromProto(m, c.Name);
    }

    public static ValueInfoProto Vi(string name, TensorProto.Types.DataType t, long[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var d in dims) shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = d });
        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)t, Shape = shape } } };
    }

    /// <summary>Values on a 0.1 grid (never 0) plus ±0.02 noise, so kinks (0, clip bounds at x.x5) are ≥ 0.03 away;
    /// or, for max pooling, distinct values at least 0.04 apart.</summary>
    public static Dictionary<string, float[]> Values(OpCase c, int seed)
    {
        var r = new Random(seed);
        var res = new Dictionary<string, float[]>();
        foreach (var (name, dims) in c.FloatInputs)
        {
            var n = (int)dims.Aggregate(1L, (a, b) => a * b);
            float[] v;
            if (c.Distinct && (name == c.FloatInputs[0].Name || c.Op is "Max" or "Min"))
            {
                // why: for Max/Min every operand is distinct and the k-th of m is offset by 0.05·k/m (less noise), so values
                // of different operands stay more than ε = 0.01 apart and never swap order under the finite difference.
                var multi = c.Op is "Max" or "Min";
                var offset = multi ? 0.05 * Array.FindIndex(c.FloatInputs, f => f.Name == name) / c.FloatInputs.Length : 0;
                var noise = multi ? 0.002 : 0.01;
                var perm = Enumerable.Range(0, n).OrderBy(_ => r.Next()).ToArray();
                v = perm.Select(p => (float)((p - n / 2) * 0.05 + offset + (r.NextDouble() - 0.5) * noise)).ToArray();
            }
            else
            {
                v = new float[n];
                for (var i = 0; i < n; i++)
                {
                    var k = r.Next(1, 11) * (r.Next(2) == 0 ? -1 : 1);
                    v[i] = (float)(k * 0.1 + (r.NextDouble() - 0.5) * 0.04);
                }
                if (name is "var") v = v.Select(Math.Abs).ToArray();
                // why: keep divisors in [0.5, 1.5] so the O(ε²/b³) truncation error of the central difference stays small.
                if (c.Op == "Div" && name == "b") v = v.Select(f => MathF.CopySign(0.5f + MathF.Abs(f), f)).ToArray();
                // why: Sqrt/Log/Pow need x > 0; [0.5, 1.5] keeps their higher derivatives (and the FD truncation) small.
                if (c.Positive) v = v.Select(f => 0.5f + MathF.Abs(f)).ToArray();
            }
            res[name] = v;
        }
        return res;
    }

    public static Dictionary<string, (float[] Data, long[] Dims)> Run(InferenceSession s, IEnumerable<(string Name, float[] Data, long[] Dims)> inputs)
    {
        var names = new List<string>();
        var values = new List<OrtValue>();
        try
        {
            foreach (var (name, data, dims) in inputs)
            {
                names.Add(name);
                values.Add(OrtValue.CreateTensorValueFromMemory(data, dims));
            }
            using var ro = new RunOptions();
            using var outs = s.Run(ro, names, values, s.OutputNames);
            var res = new Dictionary<string, (float[], long[])>();
            for (var i = 0; i < outs.Count; i++)
            {
                var info = outs[i].GetTensorTypeAndShape();
                res[s.OutputNames[i]] = (outs[i].GetTensorDataAsSpan<float>().ToArray(), info.Shape);
            }
            return res;
        }
        finally
        {
            foreach (var v in values) v.Dispose();
        }
    }

    public static InferenceSession Session(OnnxModel m) =>
        SessionFactory.Create(m.ToBytes(), new RuntimeOptions(IntraOpThreads: 1), m.Origin);

    public static GradientRequest MseRequest(OpCase c) =>
        new(new SquaredErrorLoss("y"), c.FloatInputs.Select(f => f.Name).ToArray());

    public static TensorProto I64(string name, params long[] v) => TensorData.FromInt64s(name, [v.Length], v);

    public static TensorProto F32(string name, params float[] v) => TensorData.FromFloats(name, [], v);

    public static AttributeProto Ints(string name, params long[] v) => MakeInts(name, v);
}
