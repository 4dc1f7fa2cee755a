using OnnxAudit.Data;
using OnnxAudit.Graph;
using OnnxAudit.Onnx;
using OnnxAudit.Progress;
using OnnxAudit.Runtime;

namespace OnnxAudit.Audits;

/// <summary>Top-1 accuracy of a classifier on a labelled dataset.</summary>
/// <param name="Correct">Samples whose arg-max logit equals the label.</param>
/// <param name="Total">Samples evaluated.</param>
public sealed record AccuracyResult(int Correct, int Total)
{
    /// <summary>Correct / Total (NaN when empty).</summary>
    public double Accuracy => Total == 0 ? double.NaN : (double)Correct / Total;
}

/// <summary>Runs a classifier over a dataset with ONNX Runtime.</summary>
public static class ModelEvaluation
{
    /// <summary>Computes top-1 accuracy over every labelled sample (chunks of <paramref name="batchSize"/>), with the images
    /// shaped for the model input by <paramref name="layout"/> (null = NCHW).</summary>
    /// <exception cref="Errors.DataFormatException">The dataset has no labels.</exception>
    public static AccuracyResult Accuracy(OnnxModel model, Dataset data, RuntimeOptions runtime, IAuditProgress? progress = null, int batchSize = 256,
        InputLayout? layout = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        if (!data.HasLabels) throw new Errors.DataFormatException($"{data.Source}: no labels were found; accuracy needs labels (put the labels file beside the images).");
        using var session = new ModelSession(model, runtime);
        return Accuracy(session, data, progress, batchSize, layout);
    }

    /// <summary>Top-1 accuracy with an open session (whose first output is the logits).</summary>
    internal static AccuracyResult Accuracy(ModelSession session, Dataset data, IAuditProgress? progress, int batchSize, InputLayout? layout)
    {
        var labels = data.Labels!;
        var correct = 0;
        using var stage = (progress ?? NullProgress.Instance).Start("accuracy", data.N);
        session.Run(data.Pixels.ToArray(), (layout ?? new InputLayout(4)).Dims(data.N, data.C, data.H, data.W), batchSize, (start, count, outputs) =>
        {
            var logits = outputs[0];
            var classes = logits.Length / count;
            for (var i = 0; i < count; i++)
            {
                var row = logits.AsSpan(i * classes, classes);
                var best = 0;
                for (var k = 1; k < classes; k++) if (row[k] > row[best]) best = k;
                if (best == labels[start + i]) correct++;
            }
            stage.Advance(count);
        });
        return new AccuracyResult(correct, data.N);
    }
}
