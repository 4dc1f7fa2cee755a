using Microsoft.ML.OnnxRuntime;
using OnnxAudit.Data;
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
    /// <summary>Computes top-1 accuracy over every labelled sample (batches of <paramref name="batchSize"/>).</summary>
    /// <exception cref="Errors.DataFormatException">The dataset has no labels.</exception>
    public static AccuracyResult Accuracy(OnnxModel model, Dataset data, RuntimeOptions runtime, IAuditProgress? progress = null, int batchSize = 256)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        if (!data.HasLabels) throw new Errors.DataFormatException($"{data.Source}: no labels were found; accuracy needs labels (put the labels file beside the images).");
        using var session = SessionFactory.Create(model.ToBytes(), runtime, model.Origin);
        var inputName = session.InputNames[0];
        var outputName = session.OutputNames[0];
        using var runOptions = new RunOptions();
        var correct = 0;
        using var stage = (progress ?? NullProgress.Instance).Start("accuracy", data.N);
        for (var start = 0; start < data.N; start += batchSize)
        {
            var count = Math.Min(batchSize, data.N - start);
            var indices = Enumerable.Range(start, count).ToArray();
            var (x, dims, labels) = data.Batch(indices);
            using var input = OrtValue.CreateTensorValueFromMemory(x, dims);
            using var outputs = session.Run(runOptions, [inputName], [input], [outputName]);
            var logits = outputs[0].GetTensorDataAsSpan<float>();
            var classes = logits.Length / count;
            for (var i = 0; i < count; i++)
            {
                var row = logits.Slice(i * classes, classes);
                var best = 0;
                for (var k = 1; k < classes; k++) if (row[k] > row[best]) best = k;
                if (best == labels![i]) correct++;
            }
            stage.Advance(count);
        }
        return new AccuracyResult(correct, data.N);
    }
}
