using OnnxAudit.Onnx;
using Onnx;
using DataType = global::Onnx.TensorProto.Types.DataType;

namespace OnnxAudit.Runtime;

/// <summary>The optimiser step an <see cref="AdamStepSession"/> runs inside the graph: Adam as in <c>Audits.Adam</c>
/// (PyTorch's <c>torch.optim.Adam</c>), optionally with AMSGrad, a per-sample gradient scale and the [0, 1] box clamp.</summary>
/// <param name="LearningRate">Step size (&gt; 0).</param>
/// <param name="Beta1">First-moment decay.</param>
/// <param name="Beta2">Second-moment decay.</param>
/// <param name="Epsilon">Denominator stabiliser ε.</param>
/// <param name="AmsGrad">Keep the running maximum of v (AMSGrad).</param>
/// <param name="Clamp01">Clamp the updated tensor to [0, 1] (max with 0, then min with 1).</param>
/// <param name="PerSampleScale">Multiply the gradient by a per-sample factor (input [N, 1, …]) before the step.</param>
/// <param name="SignGradient">Step on sign(g) instead of g (Inverting Gradients' signed Adam).</param>
/// <param name="OneMinusBeta1">The float constant (1−β1) of the m update; null = 1f − (float)β1, as <c>Audits.Adam</c>.</param>
/// <param name="OneMinusBeta2">The float constant (1−β2) of the v update; null = 1f − (float)β2.</param>
public sealed record AdamStep(double LearningRate, double Beta1 = 0.9, double Beta2 = 0.999, double Epsilon = 1e-8,
    bool AmsGrad = false, bool Clamp01 = false, bool PerSampleScale = false, bool SignGradient = false,
    float? OneMinusBeta1 = null, float? OneMinusBeta2 = null)
{
    /// <summary>Adam's step size lr/(1−β1ᵗ) and √(1−β2ᵗ) for t = 1…<paramref name="steps"/>, computed in double and
    /// rounded to float exactly as <c>Audits.Adam.Step</c> does; <paramref name="learningRates"/> gives lr per step
    /// (index t − 1; null = <see cref="LearningRate"/> throughout).</summary>
    public (float[] StepSize, float[] Bc2Sqrt) Schedule(int steps, IReadOnlyList<double>? learningRates = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(steps, 1);
        var a = new float[steps];
        var b = new float[steps];
        for (var t = 1; t <= steps; t++)
        {
            var lr = learningRates is null ? LearningRate : learningRates[Math.Min(t, learningRates.Count) - 1];
            a[t - 1] = (float)(lr / (1 - Math.Pow(Beta1, t)));
            b[t - 1] = (float)Math.Sqrt(1 - Math.Pow(Beta2, t));
        }
        return (a, b);
    }
}

/// <summary>
/// Appends an Adam step for chosen tensors (the data input, or parameter inputs) to a gradient model, so that one run maps
/// the state (p, m, v[, v̂] per tensor; t; Σloss) to the next state and the loss. The float operations are those of
/// <c>Audits.Adam.Step</c> in its order — g·s; m′ = m·β1 + (1−β1)·g; v′ = v·β2 + ((1−β2)·g)·g; v̂′ = max(v̂, v′);
/// p′ = p − (step·m′)/(√v̂′/√(1−β2ᵗ) + ε); then max(p′, 0), min(·, 1) — with step and √(1−β2ᵗ) gathered at index t from
/// per-run schedule inputs (computed on the host in double, as Adam does), so on the CPU provider the result is
/// bit-identical to the host loop. Σloss is a double accumulator (the host loops sum their losses in double). The
/// gradients are consumed in the graph and are no longer graph outputs.
/// </summary>
internal static class AdamStepGraph
{
    public const string T = "adam/t";
    public const string LossSum = "adam/loss_sum";
    public const string StepSize = "adam/step_size";
    public const string Bc2Sqrt = "adam/bc2_sqrt";
    public const string Scale = "adam/scale";
    public const string Next = "/next";

    /// <summary>The float state inputs of one optimised tensor: itself, m, v and (AMSGrad) v̂; output = input + <see cref="Next"/>.</summary>
    public static IReadOnlyList<string> FloatState(string tensor, AdamStep step) =>
        step.AmsGrad ? [tensor, "adam/m:" + tensor, "adam/v:" + tensor, "adam/vmax:" + tensor] : [tensor, "adam/m:" + tensor, "adam/v:" + tensor];

    /// <summary>A copy of <paramref name="gradientModel"/> with the step for <paramref name="optimised"/> (graph inputs
    /// with a gradient output each) appended; see the class summary. <see cref="AdamStep.PerSampleScale"/> needs the data
    /// input alone.</summary>
    public static OnnxModel Append(OnnxModel gradientModel, GradientBindings bindings, IReadOnlyList<string> optimised, AdamStep step)
    {
        ArgumentNullException.ThrowIfNull(gradientModel);
        ArgumentNullException.ThrowIfNull(bindings);
        ArgumentNullException.ThrowIfNull(optimised);
        ArgumentNullException.ThrowIfNull(step);
        if (optimised.Count == 0) throw new ArgumentException("nothing to optimise", nameof(optimised));
        if (step.PerSampleScale && (optimised.Count != 1 || optimised[0] != bindings.DataInput))
            throw new ArgumentException("a per-sample gradient scale needs the data input as the only optimised tensor", nameof(step));
        var copy = gradientModel.Clone();
        var g = copy.Graph;
        if (g.Output.All(o => o.Name != bindings.LossOutput)) throw new ArgumentException($"'{bindings.LossOutput}' is not an output of the gradient model", nameof(bindings));
        // only the loss stays a graph output of the gradient part: the gradients are consumed in the graph
        for (var i = g.Output.Count - 1; i >= 0; i--)
            if (g.Output[i].Name != bindings.LossOutput) g.Output.RemoveAt(i);

        var b1 = (float)step.Beta1;
        var b2 = (float)step.Beta2;
        Constant(g, "adam/b1", b1);
        Constant(g, "adam/b2", b2);
        Constant(g, "adam/c1", step.OneMinusBeta1 ?? 1f - b1);
        Constant(g, "adam/c2", step.OneMinusBeta2 ?? 1f - b2);
        Constant(g, "adam/eps", (float)step.Epsilon);
        g.Initializer.Add(TensorData.FromInt64s("adam/one", [], [1L]));
        if (step.Clamp01)
        {
            Constant(g, "adam/zero", 0f);
            Constant(g, "adam/unit", 1f);
        }
        AddInput(g, T, Scalar(DataType.Int64));
        AddInput(g, LossSum, Scalar(DataType.Double));
        AddInput(g, StepSize, Vector(DataType.Float));
        AddInput(g, Bc2Sqrt, Vector(DataType.Float));
        var stepSize = Node(g, "Gather", "adam/step_t", StepSize, T);
        var bc2 = Node(g, "Gather", "adam/bc2_t", Bc2Sqrt, T);

        foreach (var p in optimised)
        {
            var gradient = bindings.GradientOutputs.TryGetValue(p, out var gp) ? gp
                : throw new ArgumentException($"the gradient model has no gradient output for '{p}'", nameof(optimised));
            var info = g.Input.FirstOrDefault(i => i.Name == p) ?? throw new ArgumentException($"'{p}' is not an input of the gradient model", nameof(optimised));
            var names = FloatState(p, step);
            var (m, v) = (names[1], names[2]);
            AddInput(g, m, info.Type);
            AddInput(g, v, info.Type);
            if (step.AmsGrad) AddInput(g, names[3], info.Type);
            var grad = gradient;
            if (step.PerSampleScale)
            {
                var rank = info.Type.TensorType.Shape?.Dim.Count ?? throw new ArgumentException($"input '{p}' has no shape", nameof(bindings));
                var shape = new TensorShapeProto();
                shape.Dim.Add(info.Type.TensorType.Shape!.Dim[0].Clone());
                for (var i = 1; i < rank; i++) shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = 1 });
                AddInput(g, Scale, new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)DataType.Float, Shape = shape } });
                grad = Node(g, "Mul", $"adam/g:{p}", gradient, Scale);
            }
            if (step.SignGradient) grad = Node(g, "Sign", $"adam/sign:{p}", grad);
            var mNext = Node(g, "Add", m + Next, Node(g, "Mul", $"adam/m_b1:{p}", m, "adam/b1"), Node(g, "Mul", $"adam/c1_g:{p}", "adam/c1", grad));
            var vNext = Node(g, "Add", v + Next, Node(g, "Mul", $"adam/v_b2:{p}", v, "adam/b2"),
                Node(g, "Mul", $"adam/c2_g_g:{p}", Node(g, "Mul", $"adam/c2_g:{p}", "adam/c2", grad), grad));
            var vHat = step.AmsGrad ? Node(g, "Max", names[3] + Next, names[3], vNext) : vNext;
            var denominator = Node(g, "Add", $"adam/denominator:{p}",
                Node(g, "Div", $"adam/sqrt_v_bc2:{p}", Node(g, "Sqrt", $"adam/sqrt_v:{p}", vHat), bc2), "adam/eps");
            var update = Node(g, "Div", $"adam/update:{p}", Node(g, "Mul", $"adam/step_m:{p}", stepSize, mNext), denominator);
            if (step.Clamp01)
            {
                var moved = Node(g, "Sub", $"adam/moved:{p}", p, update);
                Node(g, "Min", p + Next, Node(g, "Max", $"adam/low:{p}", moved, "adam/zero"), "adam/unit");
            }
            else
            {
                Node(g, "Sub", p + Next, p, update);
            }
            foreach (var name in names) g.Output.Add(new ValueInfoProto { Name = name + Next, Type = info.Type.Clone() });
        }
        Node(g, "Add", T + Next, T, "adam/one");
        Node(g, "Add", LossSum + Next, LossSum, Node(g, "Cast", "adam/loss_double", bindings.LossOutput, to: (long)DataType.Double));
        g.Output.Add(new ValueInfoProto { Name = T + Next, Type = Scalar(DataType.Int64) });
        g.Output.Add(new ValueInfoProto { Name = LossSum + Next, Type = Scalar(DataType.Double) });
        return copy;
    }
    private static string Node(GraphProto g, string op, string output, string a, string? b = null, long? to = null)
    {
        var n = new NodeProto { OpType = op, Name = output + "/" + op };
        n.Input.Add(a);
        if (b is not null) n.Input.Add(b);
        n.Output.Add(output);
        if (to is { } t) n.Attribute.Add(new AttributeProto { Name = "to", Type = AttributeProto.Types.AttributeType.Int, I = t });
        g.Node.Add(n);
        return output;
    }

    private static void Constant(GraphProto g, string name, float value) => g.Initializer.Add(TensorData.FromFloats(name, [], [value]));

    private static void AddInput(GraphProto g, string name, TypeProto type) => g.Input.Add(new ValueInfoProto { Name = name, Type = type.Clone() });

    private static TypeProto Scalar(DataType type) =>
        new() { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = new TensorShapeProto() } };

    private static TypeProto Vector(DataType type)
    {
        var shape = new TensorShapeProto();
        shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimParam = "steps" });
        return new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = shape } };
    }
}
