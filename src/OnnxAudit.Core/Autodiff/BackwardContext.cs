using OnnxAudit.Onnx;
using Onnx;

namespace OnnxAudit.Autodiff;

/// <summary>What a gradient rule sees for one forward node: the incoming output gradients, which inputs need a
/// gradient, static shapes and constants, and the emitter for backward nodes.</summary>
internal sealed class BackwardContext
{
    private readonly string?[] _dy;
    private readonly bool[] _needs;
    private readonly Dictionary<string, long[]> _shapes;
    private readonly Action<string, string> _accumulate;

    public BackwardContext(NodeProto node, GraphEmitter emitter, string?[] dy, bool[] needs, Dictionary<string, long[]> shapes,
        ConstantTable constants, Action<string, string> accumulate)
    {
        Node = node;
        E = emitter;
        _dy = dy;
        _needs = needs;
        _shapes = shapes;
        Constants = constants;
        _accumulate = accumulate;
    }

    public NodeProto Node { get; }
    public GraphEmitter E { get; }
    public ConstantTable Constants { get; }
    public long Opset => E.Opset;

    /// <summary>Gradient flowing into output <paramref name="i"/>, or null when the loss does not depend on it.</summary>
    public string? Dy(int i) => i < _dy.Length ? _dy[i] : null;

    /// <summary>Whether input <paramref name="i"/> needs a gradient.</summary>
    public bool Needs(int i) => i < _needs.Length && _needs[i];

    public bool HasInput(int i) => i < Node.Input.Count && Node.Input[i].Length > 0;

    public string X(int i) => Node.Input[i];

    public string Y(int i) => Node.Output[i];

    /// <summary>Adds a gradient contribution for input <paramref name="i"/> (ignored when not needed).</summary>
    public void Add(int i, string grad)
    {
        if (Needs(i)) _accumulate(Node.Input[i], grad);
    }

    /// <summary>Static shape of a tensor (batch = <see cref="ShapeInference.Batch"/>).</summary>
    public long[] Shape(string tensor) => _shapes.TryGetValue(tensor, out var s)
        ? s
        : throw new GradientBuildException($"node '{Node.Name}' ({Node.OpType}): the shape of tensor '{tensor}' could not be derived statically; export the model with constant shapes (onnx-simplifier) so the gradient builder can use it.");

    public long Int(string name, long fallback) => NodeAttributes.Int(Node, name, fallback);
    public float Float(string name, float fallback) => NodeAttributes.Float(Node, name, fallback);
    public long[]? Ints(string name) => NodeAttributes.Ints(Node, name);
    public string Str(string name, string fallback) => NodeAttributes.Str(Node, name, fallback);

    public GradientBuildException Fail(string problem) =>
        new($"node '{Node.Name}' ({Node.OpType}): {problem}");
}
