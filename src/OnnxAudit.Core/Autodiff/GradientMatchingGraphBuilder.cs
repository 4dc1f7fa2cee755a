using OnnxAudit.Onnx;
using Onnx;
using DataType = global::Onnx.TensorProto.Types.DataType;

namespace OnnxAudit.Autodiff;

/// <summary>
/// Builds the exact second-order graph a gradient-matching attack needs (double backward, no finite differences): the
/// first-order gradient graph of mean cross-entropy w.r.t. the parameters (<see cref="GradientGraphBuilder"/>), a
/// gradient distance on top of it, and then <see cref="GradientGraphBuilder"/> run again over that whole graph
/// (forward + backward nodes) w.r.t. the input. Inputs: the data input x [N, …], <see cref="GradientNames.Labels"/>
/// (int64 [N]) and <c>target:&lt;param&gt;</c> (float, parameter shape). Outputs: <see cref="GradientNames.Loss"/> (the
/// matching loss), <c>grad:&lt;x&gt;</c>, and <see cref="Distance"/> (the distance term without TV).
/// </summary>
public static class GradientMatchingGraphBuilder
{
    /// <summary>Prefix of the target-gradient inputs.</summary>
    public const string TargetPrefix = "target:";

    /// <summary>Name of the output holding the distance term alone.</summary>
    public const string Distance = "matching:distance";

    private const string FirstPrefix = "first:";

    /// <summary>Target-gradient input name for a parameter.</summary>
    public static string Target(string parameter) => TargetPrefix + parameter;

    /// <summary>Builds the matching graph; the model is not modified.</summary>
    public static OnnxModel Build(OnnxModel model, GradientMatchingRequest request)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(request);
        var parameters = request.Parameters ?? FederatedGradient.FloatInitializers(model);
        if (parameters.Count == 0) throw new GradientBuildException($"{model.Origin}: the model has no float parameters to match gradients on; audit a model with trainable float weights.");
        var input = model.Graph.Input.Select(v => v.Name).FirstOrDefault(n => model.FindInitializer(n) is null)
            ?? throw new GradientBuildException($"{model.Origin}: the model has no data input; re-export the model with its image input.");
        OnnxModel first;
        // why: this first-order graph is differentiated again below; the earlier backward graphs use only ops with rules.
        using (GradientGraphVariants.ForceLegacy())
        {
            first = GradientGraphBuilder.Build(model, new GradientRequest(new SoftmaxCrossEntropyLoss(), parameters));
        }
        var g = first.Graph;
        // why: the second pass reserves "loss" and "grad:*" for its own outputs; rename the first pass's.
        var rename = new Dictionary<string, string>(StringComparer.Ordinal) { [GradientNames.Loss] = FirstPrefix + GradientNames.Loss };
        foreach (var p in parameters) rename[GradientNames.Gradient(p)] = FirstPrefix + GradientNames.Gradient(p);
        foreach (var n in g.Node)
        {
            for (var i = 0; i < n.Output.Count; i++) if (rename.TryGetValue(n.Output[i], out var r)) n.Output[i] = r;
            for (var i = 0; i < n.Input.Count; i++) if (rename.TryGetValue(n.Input[i], out var r)) n.Input[i] = r;
        }
        var e = new GraphEmitter(g, first.DefaultOpset);
        var dots = new List<string>();
        var norms = new List<string>();
        var targetNorms = new List<string>();
        foreach (var p in parameters)
        {
            var dims = TensorData.Dims(model.FindInitializer(p)!);
            var target = Target(p);
            g.Input.Add(ValueInfo(target, dims));
            e.Reserve(target);
            var grad = rename[GradientNames.Gradient(p)];
            var all = Enumerable.Range(0, dims.Length).Select(v => (long)v).ToArray();
            string Total(string t) => dims.Length == 0 ? t : e.ReduceSum(t, all, keepDims: false);
            if (request.Distance == GradientDistance.Cosine)
            {
                dots.Add(Total(e.Mul(grad, target)));
                norms.Add(Total(e.Mul(grad, grad)));
                targetNorms.Add(Total(e.Mul(target, target)));
            }
            else
            {
                var d = e.Sub(grad, target);
                dots.Add(Total(e.Mul(d, d)));
            }
        }
        string SumAll(List<string> xs) => xs.Count == 1 ? xs[0] : e.Op("Sum", [.. xs]);
        string distance;
        if (request.Distance == GradientDistance.Cosine)
        {
            // why: Geiping et al.'s reconstruction_costs('sim'): 1 − Σ⟨g,t⟩ / (sqrt Σ‖g‖² · sqrt Σ‖t‖²) over all layers.
            var denom = e.Mul(e.Op("Sqrt", [SumAll(norms)]), e.Op("Sqrt", [SumAll(targetNorms)]));
            distance = e.Sub(e.ScalarF(1), e.Div(SumAll(dots), denom));
        }
        else
        {
            distance = SumAll(dots);
        }
        e.Node("Identity", [distance], [Distance]);
        var total = Distance;
        if (request.TotalVariationWeight != 0)
        {
            var xs = ShapeOfInput(model, input);
            if (xs.Length != 4) throw new GradientBuildException($"{model.Origin}: total variation needs an NCHW input, got rank {xs.Length}; use a zero total-variation weight for a model whose input is not an image.");
            var (h, w) = (xs[2], xs[3]);
            var dh = e.Op("Abs", [e.Sub(e.Slice(input, [1], [h], [2]), e.Slice(input, [0], [h - 1], [2]))]);
            var dw = e.Op("Abs", [e.Sub(e.Slice(input, [1], [w], [3]), e.Slice(input, [0], [w - 1], [3]))]);
            long[] axes = [0, 1, 2, 3];
            // why: the batch size is symbolic, so the mean is a sum divided by the runtime element count (Size).
            string Mean(string t) => e.Div(e.ReduceSum(t, axes, keepDims: false), e.Cast(e.Op("Size", [t]), DataType.Float));
            var tv = e.Add(Mean(dh), Mean(dw));
            total = e.Add(Distance, e.Scale(tv, request.TotalVariationWeight));
        }
        var matching = e.Fresh("matching_loss");
        e.Node("Identity", [total], [matching]);
        g.Output.Clear();
        g.Output.Add(ValueInfo(matching, []));
        var staged = OnnxModel.Create(first.Proto, model.Origin + " (gradient matching, first order)", first.Sha256);
        return GradientGraphBuilder.Build(staged, new GradientRequest(new ScalarLoss(matching), [input], ExtraOutputs: [Distance]));
    }

    private static long[] ShapeOfInput(OnnxModel model, string input)
    {
        var vi = model.Graph.Input.First(v => v.Name == input);
        return vi.Type.TensorType.Shape.Dim.Select((d, i) => d.ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue ? d.DimValue : -1L).ToArray();
    }

    private static ValueInfoProto ValueInfo(string name, long[] dims)
    {
        var tt = new TypeProto.Types.Tensor { ElemType = (int)DataType.Float, Shape = new TensorShapeProto() };
        foreach (var d in dims) tt.Shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = d });
        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = tt } };
    }
}
