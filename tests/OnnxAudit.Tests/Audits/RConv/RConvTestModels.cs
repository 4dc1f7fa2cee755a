using Google.Protobuf;
using OnnxAudit.Onnx;
using Onnx;

namespace OnnxAudit.Tests.Audits.RConv;

/// <summary>Builds small chain CNNs as ONNX ModelProtos (opset 17, input "input" [batch,C,H,W], output "logits").</summary>
internal sealed class ChainModelBuilder
{
    private readonly GraphProto _g = new() { Name = "test" };
    private readonly Random _rng;
    private string _cur = "input";
    private int _n;

    public ChainModelBuilder(int c, int h, int w, int seed = 0)
    {
        _rng = new Random(seed);
        _g.Input.Add(Vi("input", ["batch", c, h, w]));
    }

    private static ValueInfoProto Vi(string name, object[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var d in dims)
            shape.Dim.Add(d is string s ? new TensorShapeProto.Types.Dimension { DimParam = s } : new TensorShapeProto.Types.Dimension { DimValue = (int)d });
        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = 1, Shape = shape } } };
    }

    private float[] Uniform(int count, double bound) => Enumerable.Range(0, count).Select(_ => (float)(((_rng.NextDouble() * 2) - 1) * bound)).ToArray();

    private string Next(string op) => $"{op.ToLowerInvariant()}{++_n}";

    private NodeProto Add(string op, string[] inputs, params AttributeProto[] attrs)
    {
        var name = Next(op);
        var node = new NodeProto { OpType = op, Name = name };
        node.Input.AddRange(inputs);
        node.Output.Add(name + "_out");
        node.Attribute.AddRange(attrs);
        _g.Node.Add(node);
        _cur = name + "_out";
        return node;
    }

    private static AttributeProto Ints(string n, params long[] v) { var a = new AttributeProto { Name = n, Type = AttributeProto.Types.AttributeType.Ints }; a.Ints.AddRange(v); return a; }
    private static AttributeProto Int(string n, long v) => new() { Name = n, Type = AttributeProto.Types.AttributeType.Int, I = v };
    private static AttributeProto Float(string n, float v) => new() { Name = n, Type = AttributeProto.Types.AttributeType.Float, F = v };

    public ChainModelBuilder Conv(int inC, int outC, int k, int stride, int pad, int groups = 1, int dilation = 1)
    {
        var name = $"conv{_n + 1}";
        var bound = 1.0 / Math.Sqrt(inC / groups * k * k);
        _g.Initializer.Add(TensorData.FromFloats(name + ".weight", [outC, inC / groups, k, k], Uniform(outC * inC / groups * k * k, bound)));
        _g.Initializer.Add(TensorData.FromFloats(name + ".bias", [outC], Uniform(outC, bound)));
        Add("Conv", [_cur, name + ".weight", name + ".bias"], Ints("kernel_shape", k, k), Ints("strides", stride, stride),
            Ints("pads", pad, pad, pad, pad), Ints("dilations", dilation, dilation), Int("group", groups));
        return this;
    }

    public ChainModelBuilder Act(string op, float alpha = 0.2f)
    {
        if (op is "LeakyRelu" or "Elu") Add(op, [_cur], Float("alpha", alpha)); else Add(op, [_cur]);
        return this;
    }

    /// <summary>The current tensor (for a residual connection back to it).</summary>
    public string Current => _cur;

    /// <summary>Inference-mode BatchNormalization with random γ, β, running mean and variance (ε = 1e-5).</summary>
    public ChainModelBuilder BatchNorm(int c)
    {
        var name = $"bn{_n + 1}";
        _g.Initializer.Add(TensorData.FromFloats(name + ".weight", [c], Uniform(c, 1).Select(v => 0.5f + Math.Abs(v)).ToArray()));
        // shift β − μ·s mostly positive, so that few channels are switched off entirely by a ReLU after it
        _g.Initializer.Add(TensorData.FromFloats(name + ".bias", [c], Uniform(c, 0.15).Select(v => v + 0.35f).ToArray()));
        _g.Initializer.Add(TensorData.FromFloats(name + ".running_mean", [c], Uniform(c, 0.1)));
        _g.Initializer.Add(TensorData.FromFloats(name + ".running_var", [c], Uniform(c, 1).Select(v => 0.5f + Math.Abs(v)).ToArray()));
        Add("BatchNormalization", [_cur, name + ".weight", name + ".bias", name + ".running_mean", name + ".running_var"], Float("epsilon", 1e-5f));
        return this;
    }

    /// <summary>y = x ⊙ k with a constant per-channel k of shape [1, C, 1, 1].</summary>
    public ChainModelBuilder MulChannels(int c)
    {
        var name = $"scale{_n + 1}";
        _g.Initializer.Add(TensorData.FromFloats(name, [1, c, 1, 1], Uniform(c, 1).Select(v => 0.5f + Math.Abs(v)).ToArray()));
        Add("Mul", [_cur, name]);
        return this;
    }

    /// <summary>The residual sum of the current tensor and <paramref name="shortcut"/>.</summary>
    public ChainModelBuilder AddResidual(string shortcut) { Add("Add", [_cur, shortcut]); return this; }

    public ChainModelBuilder MaxPool(int k) { Add("MaxPool", [_cur], Ints("kernel_shape", k, k), Ints("strides", k, k)); return this; }

    public ChainModelBuilder Flatten() { Add("Flatten", [_cur], Int("axis", 1)); return this; }

    public ChainModelBuilder Gemm(int inF, int outF)
    {
        var name = $"fc{_n + 1}";
        var bound = 1.0 / Math.Sqrt(inF);
        _g.Initializer.Add(TensorData.FromFloats(name + ".weight", [outF, inF], Uniform(outF * inF, bound)));
        _g.Initializer.Add(TensorData.FromFloats(name + ".bias", [outF], Uniform(outF, bound)));
        Add("Gemm", [_cur, name + ".weight", name + ".bias"], Int("transB", 1));
        return this;
    }

    public OnnxModel Build(string origin, int classes = 10)
    {
        var last = _g.Node[^1];
        last.Output[0] = "logits";
        _g.Output.Add(Vi("logits", ["batch", classes]));
        var m = new ModelProto { IrVersion = 8, ProducerName = "OnnxAudit.Tests", Graph = _g };
        m.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 17 });
        return OnnxModel.FromProto(m, origin);
    }

    /// <summary>The LeNet of the R-CONV code (3×32×32, K 5, P 2): 3→12 s2, 12→16 s2, 16→12 s1, 12→3 s1, then Gemm 192→10.</summary>
    public static OnnxModel RConvLeNet(string activation = "LeakyRelu", int seed = 0) =>
        new ChainModelBuilder(3, 32, 32, seed)
            .Conv(3, 12, 5, 2, 2).Act(activation)
            .Conv(12, 16, 5, 2, 2).Act(activation)
            .Conv(16, 12, 5, 1, 2).Act(activation)
            .Conv(12, 3, 5, 1, 2).Act(activation)
            .Flatten().Gemm(192, 10).Build("rconv-lenet(test)");
}
