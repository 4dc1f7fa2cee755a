using OnnxAudit.Audits.GradientAttack;

namespace OnnxAudit.Tests.Audits.Exclusivity;

/// <summary>
/// Test oracle: the batch-averaged cross-entropy gradient of an FCN head in closed form (double precision, rounded to
/// float), keyed by initializer name in the initializer's layout. Independent of the product's gradient session.
/// </summary>
internal static class ClosedFormGradient
{
    public static Dictionary<string, float[]> Compute(FcnHead head, float[] x, int m, int[] labels)
    {
        var layers = head.Layers;
        var gw = layers.Select(l => new double[l.Out * l.In]).ToArray();
        var gb = layers.Select(l => new double[l.Out]).ToArray();
        for (var s = 0; s < m; s++)
        {
            var acts = new List<double[]> { x.AsSpan(s * head.InputWidth, head.InputWidth).ToArray().Select(v => (double)v).ToArray() };
            for (var i = 0; i < layers.Count; i++)
            {
                var l = layers[i];
                var z = new double[l.Out];
                for (var r = 0; r < l.Out; r++)
                {
                    double acc = l.Bias?[r] ?? 0;
                    for (var c = 0; c < l.In; c++) acc += l.Weight[r * l.In + c] * acts[i][c];
                    z[r] = i < layers.Count - 1 ? Math.Max(0, acc) : acc;
                }
                acts.Add(z);
            }
            var logits = acts[^1];
            var max = logits.Max();
            var e = logits.Select(v => Math.Exp(v - max)).ToArray();
            var sum = e.Sum();
            var d = e.Select((v, c) => v / sum - (c == labels[s] ? 1 : 0)).ToArray();
            for (var i = layers.Count - 1; i >= 0; i--)
            {
                var l = layers[i];
                var input = acts[i];
                for (var r = 0; r < l.Out; r++)
                {
                    gb[i][r] += d[r] / m;
                    for (var c = 0; c < l.In; c++) gw[i][r * l.In + c] += d[r] * input[c] / m;
                }
                if (i == 0) break;
                var back = new double[l.In];
                for (var r = 0; r < l.Out; r++)
                    for (var c = 0; c < l.In; c++) back[c] += l.Weight[r * l.In + c] * d[r];
                for (var c = 0; c < l.In; c++) if (input[c] <= 0) back[c] = 0;
                d = back;
            }
        }
        var result = new Dictionary<string, float[]>();
        for (var i = 0; i < layers.Count; i++)
        {
            var l = layers[i];
            var w = gw[i].Select(v => (float)v).ToArray();
            result[l.WeightName] = l.WeightTransposed ? FcnHead.Transpose(w, l.Out, l.In) : w;
            if (l.BiasName is not null) result[l.BiasName] = [.. gb[i].Select(v => (float)v)];
        }
        return result;
    }
}
