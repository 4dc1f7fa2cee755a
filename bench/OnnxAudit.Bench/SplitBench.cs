using System.Diagnostics;
using System.Globalization;
using OnnxAudit.Audits.SplitInversion;
using OnnxAudit.Data;
using OnnxAudit.Graph;
using OnnxAudit.Metrics;
using OnnxAudit.Onnx;
using OnnxAudit.Runtime;

namespace OnnxAudit.Bench;

/// <summary>
/// usage: OnnxAudit.Bench split &lt;model.onnx&gt; &lt;images-idx3.gz&gt; &lt;split tensor or layer&gt; &lt;batch&gt; &lt;iterations&gt; &lt;threads&gt;
/// Times the white-box rMLE loop (GradientSession.Run + AMSGrad step + clamp) on the first `batch` images with the
/// depth-class defaults (λ_TV, lr) and prints "ours &lt;model&gt; &lt;layer&gt; &lt;batch&gt; &lt;it/s&gt; &lt;mean PSNR&gt;".
/// </summary>
internal static class SplitBench
{
    public static void Run(string[] args)
    {
        var model = OnnxModel.Load(args[0]);
        var data = DatasetLoader.Load(args[1]);
        var at = args[2];
        var batch = int.Parse(args[3], CultureInfo.InvariantCulture);
        var iterations = int.Parse(args[4], CultureInfo.InvariantCulture);
        var threads = int.Parse(args[5], CultureInfo.InvariantCulture);
        var runtime = new RuntimeOptions(IntraOpThreads: threads);
        var analysis = GraphAnalyzer.Analyze(model);
        var point = SplitInversionAuditor.SelectPoints(model, analysis, at)[0];
        var hyper = WhiteBoxHyperparameters.Defaults(WhiteBoxHyperparameters.Classify(analysis, point));
        var (x, dims, _) = data.Batch(Enumerable.Range(0, batch).ToArray());
        using var f1 = new ModelSession(ModelSplitter.Split(model, point).Prefix, runtime);
        var target = f1.RunAll(x, dims).Data;
        using var attack = new WhiteBoxAttack(model, point.Tensor, batch, (data.C, data.H, data.W), hyper, runtime);
        attack.Run(target, iterations: 20);
        var sw = Stopwatch.StartNew();
        var run = attack.Run(target, iterations: iterations);
        var seconds = sw.Elapsed.TotalSeconds;
        var size = data.ImageSize;
        var psnr = Enumerable.Range(0, batch).Average(i => ImageMetrics.Psnr(x.AsSpan(i * size, size), run.Images.AsSpan(i * size, size)));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"ours {Path.GetFileNameWithoutExtension(args[0])} {point.ProducerLabel} {batch} {iterations / seconds:F1} {psnr:F2}"));
    }
}
