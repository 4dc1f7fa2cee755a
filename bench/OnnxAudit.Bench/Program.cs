using System.Diagnostics;
using System.Globalization;
using OnnxAudit.Autodiff;
using OnnxAudit.Data;
using OnnxAudit.Onnx;
using OnnxAudit.Runtime;

// usage: OnnxAudit.Bench <model.onnx> <images-idx3.gz> <labels-idx1.gz> <batch> <reps> <threads>
// Times GradientSession.Run (mean cross-entropy, gradients of every float initializer) after warm-up; prints
// "ours <model> <batch> median_ms" on one line.
if (args.Length > 0 && args[0] == "split")
{
    OnnxAudit.Bench.SplitBench.Run(args[1..]);
    return;
}
if (args.Length > 0 && args[0] == "split-plan")
{
    OnnxAudit.Bench.SplitPlanBench.Run(args[1..]);
    return;
}
if (args.Length > 0 && args[0] == "exclusivity")
{
    OnnxAudit.Bench.ExclusivityBench.Run(args[1..]);
    return;
}
if (args.Length > 0 && args[0] == "federated-numbers")
{
    OnnxAudit.Bench.FederatedNumbers.Run(args[1..]);
    return;
}
if (args.Length > 0 && args[0] == "dpsgd-sweep")
{
    OnnxAudit.Bench.DpSgdSweepBench.Run(args[1..]);
    return;
}
if (args.Length > 0 && args[0] == "inverting")
{
    OnnxAudit.Bench.InvertingBench.Run(args[1..]);
    return;
}
if (args.Length > 0 && args[0] == "second-order-memory")
{
    OnnxAudit.Bench.SecondOrderMemoryBench.Run(args[1..]);
    return;
}
if (args.Length > 0 && args[0] == "rconv")
{
    OnnxAudit.Bench.RConvBench.Run(args[1..]);
    return;
}
var model = OnnxModel.Load(args[0]);
var images = IdxReader.Read(args[1], 3, out _);
var labelsIdx = IdxReader.Read(args[2], 1, out _);
var batch = int.Parse(args[3], CultureInfo.InvariantCulture);
var reps = int.Parse(args[4], CultureInfo.InvariantCulture);
var threads = int.Parse(args[5], CultureInfo.InvariantCulture);
var px = images.Dims[1] * images.Dims[2];
var x = new float[batch * px];
for (var i = 0; i < x.Length; i++) x[i] = images.Data[i] / 255f;
var labels = Enumerable.Range(0, batch).Select(i => (long)labelsIdx.Data[i]).ToArray();
long[] dims = [batch, 1, images.Dims[1], images.Dims[2]];
using var session = GradientSessions.Create(model, new GradientRequest(new SoftmaxCrossEntropyLoss(), FederatedGradient.FloatInitializers(model)),
    new RuntimeOptions(IntraOpThreads: threads));
for (var i = 0; i < Math.Max(10, reps / 10); i++) session.Run(x, dims, labels);
var times = new double[reps];
var sw = new Stopwatch();
for (var i = 0; i < reps; i++)
{
    sw.Restart();
    session.Run(x, dims, labels);
    times[i] = sw.Elapsed.TotalMilliseconds;
}
Array.Sort(times);
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"ours {Path.GetFileNameWithoutExtension(args[0])} {batch} {times[reps / 2]:F4}"));
