using Onnx;
using OnnxAudit.Onnx;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace OnnxAudit.TorchBench;

/// <summary>
/// Evaluates an ONNX graph node by node with LibTorch ops (TorchSharp), on the same weights: the LibTorch side of the
/// A/B benchmarks. Covers the ops of the bundled models, the inverse networks and torchvision's resnet18 export.
/// Parameters are leaf tensors with requires_grad, so autograd differentiates the evaluation. Owns its tensors.
/// </summary>
internal sealed class OnnxTorch : IDisposable
{
    private readonly GraphProto _g;
    private readonly Dictionary<string, Tensor> _consts = new(StringComparer.Ordinal);

    public OnnxTorch(OnnxModel model)
    {
        _g = model.Graph;
        foreach (var t in _g.Initializer)
        {
            var dims = TensorData.Dims(t);
            var type = TensorData.ElementType(t);
            if (type == TensorProto.Types.DataType.Float)
            {
                var p = new TorchSharp.Modules.Parameter(torch.tensor(TensorData.ToFloats(t), dims), true);
                Parameters[t.Name] = p;
                _consts[t.Name] = p;
            }
            else
            {
                _consts[t.Name] = torch.tensor(TensorData.ToInt64s(t), dims);
            }
        }
        InputName = _g.Input.Select(i => i.Name).First(n => !_consts.ContainsKey(n));
    }

    public string InputName { get; }

    /// <summary>Float initializers as requires-grad leaves, by ONNX name (in initializer order).</summary>
    public Dictionary<string, TorchSharp.Modules.Parameter> Parameters { get; } = new(StringComparer.Ordinal);

    /// <summary>Evaluates up to (and including) the node that produces <paramref name="until"/> (default: the graph output).</summary>
    public Tensor Forward(Tensor x, string? until = null)
    {
        var env = new Dictionary<string, Tensor>(_consts, StringComparer.Ordinal) { [InputName] = x };
        until ??= _g.Output[0].Name;
        foreach (var n in _g.Node)
        {
            var a = n.Input.Select(i => i.Length == 0 ? null : env[i]).ToArray();
            env[n.Output[0]] = Eval(n, a!);
            if (n.Output[0] == until) return env[until];
        }
        throw new InvalidOperationException($"no node produces {until}");
    }

    private static Tensor Eval(NodeProto n, Tensor[] a)
    {
        switch (n.OpType)
        {
            case "Conv":
                {
                    var (x, pad) = PadAsym(a[0], NodeAttributes.Ints(n, "pads"));
                    return F.conv2d(x, a[1], a.Length > 2 ? a[2] : null, strides: NodeAttributes.Ints(n, "strides") ?? [1, 1], padding: pad,
                        dilation: NodeAttributes.Ints(n, "dilations") ?? [1, 1], groups: NodeAttributes.Int(n, "group", 1));
                }
            case "ConvTranspose":
                {
                    var p = NodeAttributes.Ints(n, "pads") ?? [0, 0, 0, 0];
                    if (p[0] != p[2] || p[1] != p[3]) throw new NotSupportedException("asymmetric ConvTranspose pads");
                    return F.conv_transpose2d(a[0], a[1], a.Length > 2 ? a[2] : null, strides: NodeAttributes.Ints(n, "strides") ?? [1, 1],
                        padding: [p[0], p[1]], output_padding: NodeAttributes.Ints(n, "output_padding") ?? [0, 0],
                        groups: NodeAttributes.Int(n, "group", 1), dilation: NodeAttributes.Ints(n, "dilations") ?? [1, 1]);
                }
            case "BatchNormalization":
                // inference form (running statistics): (x − mean)/√(var + ε)·scale + bias
                return F.batch_norm(a[0], a[3].detach(), a[4].detach(), a[1], a[2], training: false, eps: NodeAttributes.Float(n, "epsilon", 1e-5f));
            case "Relu": return F.relu(a[0]);
            case "LeakyRelu": return F.leaky_relu(a[0], NodeAttributes.Float(n, "alpha", 0.01f));
            case "Sigmoid": return torch.sigmoid(a[0]);
            case "Tanh": return torch.tanh(a[0]);
            case "MaxPool":
                {
                    var k = NodeAttributes.Ints(n, "kernel_shape")!;
                    var p = NodeAttributes.Ints(n, "pads") ?? [0, 0, 0, 0];
                    if (p[0] != p[2] || p[1] != p[3]) throw new NotSupportedException("asymmetric MaxPool pads");
                    return F.max_pool2d(a[0], k, NodeAttributes.Ints(n, "strides") ?? k, [p[0], p[1]],
                        NodeAttributes.Ints(n, "dilations") ?? [1, 1], NodeAttributes.Int(n, "ceil_mode", 0) != 0);
                }
            case "GlobalAveragePool": return a[0].mean([2, 3], keepdim: true);
            case "Flatten": return a[0].flatten(NodeAttributes.Int(n, "axis", 1));
            case "Reshape": return a[0].reshape(a[1].data<long>().ToArray());
            case "Gemm":
                {
                    var w = NodeAttributes.Int(n, "transB", 0) != 0 ? a[1] : a[1].t();
                    var x = NodeAttributes.Int(n, "transA", 0) != 0 ? a[0].t() : a[0];
                    if (NodeAttributes.Float(n, "alpha", 1f) != 1f || NodeAttributes.Float(n, "beta", 1f) != 1f) throw new NotSupportedException("Gemm alpha/beta");
                    return F.linear(x, w, a.Length > 2 ? a[2] : null);
                }
            case "MatMul": return torch.matmul(a[0], a[1]);
            case "Add": return a[0] + a[1];
            case "Sub": return a[0] - a[1];
            case "Mul": return a[0] * a[1];
            case "Div": return a[0] / a[1];
            case "Identity": return a[0];
            default: throw new NotSupportedException($"OnnxTorch: op {n.OpType} not handled");
        }
    }

    /// <summary>Evaluates the graph up to the last of <paramref name="names"/> and returns those tensors, in order.</summary>
    public Tensor[] ForwardAll(Tensor x, IReadOnlyList<string> names)
    {
        var env = new Dictionary<string, Tensor>(_consts, StringComparer.Ordinal) { [InputName] = x };
        var left = new HashSet<string>(names, StringComparer.Ordinal);
        foreach (var n in _g.Node)
        {
            if (left.Count == 0) break;
            var a = n.Input.Select(i => i.Length == 0 ? null : env[i]).ToArray();
            env[n.Output[0]] = Eval(n, a!);
            left.Remove(n.Output[0]);
        }
        if (left.Count > 0) throw new InvalidOperationException($"no node produces {left.First()}");
        return [.. names.Select(nm => env[nm])];
    }

    // ONNX pads [hb, wb, he, we]: symmetric ones go to the conv, asymmetric ones through an explicit zero pad.
    private static (Tensor X, long[] Pad) PadAsym(Tensor x, long[]? p)
    {
        p ??= [0, 0, 0, 0];
        if (p[0] == p[2] && p[1] == p[3]) return (x, [p[0], p[1]]);
        return (F.pad(x, [p[1], p[3], p[0], p[2]]), [0, 0]);
    }

    public void Dispose()
    {
        foreach (var t in _consts.Values) t.Dispose();
    }
}
