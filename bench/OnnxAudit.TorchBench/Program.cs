using System.Globalization;
using OnnxAudit.Audits;
using OnnxAudit.Audits.Exclusivity;
using OnnxAudit.Audits.Federated;
using OnnxAudit.Audits.SplitInversion;
using OnnxAudit.Autodiff;
using OnnxAudit.Data;
using OnnxAudit.Graph;
using OnnxAudit.Metrics;
using OnnxAudit.Onnx;
using OnnxAudit.Runtime;
using OnnxAudit.TorchBench;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

// LibTorch anchor (bench/README.md, "LibTorch anchor"). One thread on both sides; interleaved A/B blocks; thread-CPU
// time per step. Every verb first checks that both sides compute the same numbers, then times them.
//   grad     <model.onnx> <batch> <blocks> <reps>            mean cross-entropy, gradients of all parameters
//   whitebox <model.onnx> <split> <batch> <blocks> <iters>   white-box rMLE loop (AMSGrad, TV, clamp), per iteration
//   decoder  <model.onnx> <split> <batch> <blocks> <steps>   black-box inverse-network training step (MSE, Adam)
//   profile  <model.onnx> <batch> <runs> [legacy]            ORT profile of our gradient graph (per-op, top nodes)
//   profile-whitebox <model.onnx> <split> <batch> <runs>   ORT profile of the white-box attack's gradient graph
//   inverting <model.onnx> <batch> <blocks> <iters>         Inverting Gradients loop (cosine + TV, second order, signed Adam)
//   threads  grad|whitebox|decoder <model.onnx> <split|-> <batch> <blocks>   ours at 1 vs 2 intra-op threads, wall time
//   exclusivity <model.onnx> <M> <blocks> <batches>        activation masks (2000 images) and N_i^m over batches of M
//   rconv    <C> <F> <k> <pad> <H> <blocks>                R-CONV's per-layer gradient solve (SVD least squares), random ∂ℓ/∂O, ∂ℓ/∂W
//   profile-file <model.onnx> <runs>                        ORT profile of any one-input model (random input)
//   adam     <params> <blocks> <reps>                        our Adam step: Vector<float> vs the scalar oracle
// IM2COL_MINC / IM2COL_MAXP override the im2col weight-gradient thresholds (ConvBackward) for measurements.
// LEGACY=1 adds a third side: ours with the pre-issue-16 gradient graphs (GradientGraphVariants.Legacy).
torch.set_num_threads(1);
torch.set_num_interop_threads(1);
var inv = CultureInfo.InvariantCulture;
var legacy = Environment.GetEnvironmentVariable("LEGACY") == "1";
var root = Environment.GetEnvironmentVariable("ONNXAUDIT_ROOT") ?? Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "../../../../.."));
var images = Path.Combine(root, "samples/fashion-mnist-test-2000-images-idx3-ubyte.gz");
var labelsPath = Path.Combine(root, "samples/fashion-mnist-test-2000-labels-idx1-ubyte.gz");
// DEVICE=cuda (bench/gpu.sh, GPU build of the bench): our sessions on the CUDA provider; the LibTorch side stays on the CPU
// (TorchSharp's CUDA package is not served to this project), so on CUDA the ratios compare ours on the GPU with LibTorch on one core.
var device = Environment.GetEnvironmentVariable("DEVICE") == "cuda" ? ExecutionDevice.Cuda : ExecutionDevice.Cpu;
var runtime = new RuntimeOptions(device, IntraOpThreads: 1);
if (device == ExecutionDevice.Cuda) ModelSession.CheckDevice(runtime);
// shape-class thresholds of the im2col weight gradient, for measuring other choices (defaults: the product's)
if (Environment.GetEnvironmentVariable("IM2COL_MINC") is { } minc) ConvBackward.Im2colMinChannels = long.Parse(minc, inv);
if (Environment.GetEnvironmentVariable("IM2COL_MAXP") is { } maxp) ConvBackward.Im2colMaxOutputPixels = long.Parse(maxp, inv);

switch (args[0])
{
    case "grad": Grad(args[1], int.Parse(args[2], inv), int.Parse(args[3], inv), int.Parse(args[4], inv)); break;
    case "whitebox": WhiteBox(args[1], args[2], int.Parse(args[3], inv), int.Parse(args[4], inv), int.Parse(args[5], inv)); break;
    case "decoder": Decoder(args[1], args[2], int.Parse(args[3], inv), int.Parse(args[4], inv), int.Parse(args[5], inv)); break;
    case "profile":
        {
            var pm = OnnxModel.Load(args[1]);
            var (px, pd, pl) = Batch(pm, int.Parse(args[2], inv));
            Profile.Run(pm, px, pd, pl, int.Parse(args[3], inv), args.Length > 4 && args[4] == "legacy");
            break;
        }
    case "profile-whitebox":
        {
            var pm = OnnxModel.Load(args[1]);
            var pa = ModelAnalysis.Analyze(pm);
            var pt = SplitInversionAuditor.SelectPoints(pm, pa, args[2])[0];
            var pb = int.Parse(args[3], inv);
            var (px, pd, _) = Batch(pm, pb);
            using var attack = new WhiteBoxAttack(pm, pt.Tensor, pb, ((int)pd[1], (int)pd[2], (int)pd[3]),
                WhiteBoxHyperparameters.Defaults(WhiteBoxHyperparameters.Classify(pa, pt)), runtime);
            using var prefix = new ModelSession(ModelSplitter.Split(pm, pt).Prefix, runtime);
            var tgt = prefix.RunAll(px, pd).Data;
            using var xi = Microsoft.ML.OnnxRuntime.OrtValue.CreateTensorValueFromMemory(Enumerable.Repeat(0.5f, px.Length).ToArray(), pd);
            using var ti = Microsoft.ML.OnnxRuntime.OrtValue.CreateTensorValueFromMemory(tgt, [pb, .. pt.Shape.Skip(1)]);
            using var li = Microsoft.ML.OnnxRuntime.OrtValue.CreateTensorValueFromMemory(new float[] { 1e-3f }, []);
            var feeds = new Dictionary<string, Microsoft.ML.OnnxRuntime.OrtValue>
            {
                [ModelEditor.DataInput(pm)] = xi, [GradientNames.Target] = ti,
            };
            if (attack.GradientModel.Graph.Input.Any(i => i.Name == GradientNames.TotalVariationWeight)) feeds[GradientNames.TotalVariationWeight] = li;
            Profile.Graph(attack.GradientModel, feeds, int.Parse(args[4], inv));
            break;
        }
    case "inverting": Inverting(args[1], int.Parse(args[2], inv), int.Parse(args[3], inv), int.Parse(args[4], inv)); break;
    case "threads": Threads(args[1], args[2], args[3], int.Parse(args[4], inv), int.Parse(args[5], inv)); break;
    case "exclusivity": Exclusivity(args[1], int.Parse(args[2], inv), int.Parse(args[3], inv), int.Parse(args[4], inv)); break;
    case "rconv": RConvSolve(int.Parse(args[1], inv), int.Parse(args[2], inv), int.Parse(args[3], inv), int.Parse(args[4], inv), int.Parse(args[5], inv), int.Parse(args[6], inv)); break;
    case "profile-file":
        {
            // any one-input float model with a static input shape, fed uniform random values
            var pm = OnnxModel.Load(args[1]);
            var shape = pm.Graph.Input[0].Type.TensorType.Shape.Dim.Select(d => d.DimValue).ToArray();
            var r = new Random(1);
            var data = Enumerable.Range(0, (int)shape.Aggregate(1L, (a, b) => a * b)).Select(_ => (float)r.NextDouble()).ToArray();
            using var xi = Microsoft.ML.OnnxRuntime.OrtValue.CreateTensorValueFromMemory(data, shape);
            Profile.Graph(pm, new Dictionary<string, Microsoft.ML.OnnxRuntime.OrtValue> { [pm.Graph.Input[0].Name] = xi }, int.Parse(args[2], inv));
            break;
        }
    case "adam": AdamBench(int.Parse(args[1], inv), int.Parse(args[2], inv), int.Parse(args[3], inv)); break;
    default: throw new ArgumentException("verbs: grad, whitebox, decoder, adam");
}

(float[] X, long[] Dims, long[] Labels) Batch(OnnxModel model, int batch)
{
    var shape = model.Graph.Input.First(i => model.FindInitializer(i.Name) is null).Type.TensorType.Shape.Dim.Select(d => d.DimValue).ToArray();
    if (shape[1] == 1 && shape[2] == 28)
    {
        var img = IdxReader.Read(images, 3, out _);
        var lab = IdxReader.Read(labelsPath, 1, out _);
        var x = new float[batch * 784];
        for (var i = 0; i < x.Length; i++) x[i] = img.Data[i] / 255f;
        return (x, [batch, 1, 28, 28], Enumerable.Range(0, batch).Select(i => (long)lab.Data[i]).ToArray());
    }
    var rng = new Random(1);
    var n = batch * shape[1] * shape[2] * shape[3];
    return (Enumerable.Range(0, (int)n).Select(_ => (float)rng.NextDouble()).ToArray(), [batch, shape[1], shape[2], shape[3]],
        Enumerable.Range(0, batch).Select(_ => (long)rng.Next(10)).ToArray());
}

GradientSession OursGrad(OnnxModel model, bool old)
{
    GradientGraphVariants.Legacy = old;
    try
    {
        return GradientSessions.Create(model, new GradientRequest(new SoftmaxCrossEntropyLoss(), FederatedGradient.FloatInitializers(model)), runtime);
    }
    finally
    {
        GradientGraphVariants.Legacy = false;
    }
}

void Grad(string path, int batch, int blocks, int reps)
{
    var model = OnnxModel.Load(path);
    var (x, dims, labels) = Batch(model, batch);
    var names = FederatedGradient.FloatInitializers(model);
    using var ours = OursGrad(model, false);
    using var old = legacy ? OursGrad(model, true) : null;
    using var net = new OnnxTorch(model);
    var tx = torch.tensor(x, dims);
    var ty = torch.tensor(labels);
    var ps = names.Select(n => net.Parameters[n]).ToArray();
    (double Loss, double Norm) OursRun(GradientSession s)
    {
        var r = s.Run(x, dims, labels);
        double sq = 0;
        foreach (var n in names) foreach (var v in r.Gradient(n)) sq += (double)v * v;
        return (r.Loss, Math.Sqrt(sq));
    }
    (double Loss, double Norm) TorchRun()
    {
        using var scope = torch.NewDisposeScope();
        var loss = F.cross_entropy(net.Forward(tx), ty);
        var gs = torch.autograd.grad([loss], ps);
        double sq = 0;
        foreach (var g in gs) sq += g.pow(2).sum().to_type(ScalarType.Float64).item<double>();
        return (loss.item<float>(), Math.Sqrt(sq));
    }
    var a = OursRun(ours);
    var b = TorchRun();
    var check = string.Create(inv, $"check loss {a.Loss:G7}/{b.Loss:G7} (rel {Math.Abs(a.Loss - b.Loss) / Math.Abs(b.Loss):E1}) grad-norm {a.Norm:G7}/{b.Norm:G7} (rel {Math.Abs(a.Norm - b.Norm) / b.Norm:E1})");
    if (Math.Abs(a.Loss - b.Loss) > 1e-4 * Math.Abs(b.Loss) + 1e-6 || Math.Abs(a.Norm - b.Norm) > 1e-4 * b.Norm)
        throw new InvalidOperationException("sides disagree: " + check);
    if (old is not null)
    {
        var c = OursRun(old);
        if (Math.Abs(c.Norm - b.Norm) > 1e-4 * b.Norm) throw new InvalidOperationException("legacy side disagrees");
    }
    var sides = new List<(string, Action)> { ("ours", () => ours.Run(x, dims, labels)), ("libtorch", () => TorchRun()) };
    if (old is not null) sides.Add(("ours-legacy", () => old.Run(x, dims, labels)));
    var res = AbTimer.Run(blocks, reps, 1, [.. sides]);
    Console.WriteLine(AbTimer.Line($"grad {Path.GetFileNameWithoutExtension(path)} b{batch}", res, check));
}

void WhiteBox(string path, string at, int batch, int blocks, int iters)
{
    var model = OnnxModel.Load(path);
    var analysis = ModelAnalysis.Analyze(model);
    var point = SplitInversionAuditor.SelectPoints(model, analysis, at)[0];
    var hyper = WhiteBoxHyperparameters.Defaults(WhiteBoxHyperparameters.Classify(analysis, point));
    var (x0, dims, _) = Batch(model, batch);
    using var f1 = new ModelSession(ModelSplitter.Split(model, point).Prefix, runtime);
    var target = f1.RunAll(x0, dims).Data;
    WhiteBoxAttack Attack(bool old)
    {
        GradientGraphVariants.Legacy = old;
        try
        {
            return new WhiteBoxAttack(model, point.Tensor, batch, ((int)dims[1], (int)dims[2], (int)dims[3]), hyper, runtime);
        }
        finally
        {
            GradientGraphVariants.Legacy = false;
        }
    }
    using var ours = Attack(false);
    using var oldAttack = legacy ? Attack(true) : null;
    using var net = new OnnxTorch(model);
    foreach (var p in net.Parameters.Values) p.requires_grad_(false);
    var tx0 = torch.tensor(x0, dims);
    var tt = torch.tensor(target, [batch, .. point.Shape.Skip(1)]);
    long c = dims[1], h = dims[2], w = dims[3];
    // the per-image gradient scale of WhiteBoxAttack (issue 17): pixels / mean(t_i²) of the image's split-tensor target
    var per = target.Length / batch;
    var energy = Enumerable.Range(0, batch).Select(i =>
    {
        var e = target.AsSpan(i * per, per).ToArray().Sum(v => (double)v * v) / Math.Max(1, per);
        return (float)(e > 0 && double.IsFinite(e) ? c * h * w / e : 1);
    }).ToArray();
    var tEnergy = torch.tensor(energy, [batch, 1, 1, 1]);
    float[] TorchLoop(int steps)
    {
        var x = new TorchSharp.Modules.Parameter(torch.full(dims, 0.5f), true);
        using var opt = torch.optim.Adam([x], lr: hyper.LearningRate, eps: WhiteBoxAttack.DefaultEpsilon, amsgrad: true);
        for (var s = 0; s < steps; s++)
        {
            using var scope = torch.NewDisposeScope();
            opt.zero_grad();
            var feat = (net.Forward(x, point.Tensor) - tt).pow(2).mean();
            var dh = x[.., .., 1.., ..] - x[.., .., ..^1, ..];
            var dw = x[.., .., .., 1..] - x[.., .., .., ..^1];
            var tv = (dh.pow(2).sum() / (c * (h - 1) * w) + dw.pow(2).sum() / (c * h * (w - 1))) / batch;
            var loss = (feat + hyper.TvWeight * tv) * batch;
            loss.backward();
            using (torch.no_grad()) x.grad!.mul_(tEnergy);
            opt.step();
            using (torch.no_grad()) x.clamp_(0, 1);
        }
        return x.detach().data<float>().ToArray();
    }
    var size = (int)(c * h * w);
    double Psnr(float[] r) => Enumerable.Range(0, batch).Average(i => ImageMetrics.Psnr(x0.AsSpan(i * size, size), r.AsSpan(i * size, size)));
    var pa = Psnr(ours.Run(target, iterations: 100).Images);
    var pb = Psnr(TorchLoop(100));
    var check = string.Create(inv, $"check PSNR after 100 it {pa:F3}/{pb:F3} dB (λ_TV {hyper.TvWeight}, lr {hyper.LearningRate})");
    if (Math.Abs(pa - pb) > 0.05) throw new InvalidOperationException("sides disagree: " + check);
    var copied = ours.RunWithCopies(target, iterations: 100).Images;
    if (!copied.AsSpan().SequenceEqual(ours.Run(target, iterations: 100).Images)) throw new InvalidOperationException("bound and copying loops differ");
    var sides = new List<(string, Action)> { ("ours", () => ours.Run(target, iterations: iters)), ("libtorch", () => TorchLoop(iters)) };
    // ours-copy: the pre-change loop (copies in and out of the session's buffers every iteration), same results bit for bit
    if (Environment.GetEnvironmentVariable("COPY") == "1") sides.Add(("ours-copy", () => ours.RunWithCopies(target, iterations: iters)));
    if (oldAttack is not null) sides.Add(("ours-legacy", () => oldAttack.Run(target, iterations: iters)));
    // INGRAPH=1: a side with the other optimiser placement (Adam inside the graph on the CPU, on the host on CUDA),
    // checked bit-identical on the CPU first (issue 16 item 5)
    using var other = Environment.GetEnvironmentVariable("INGRAPH") == "1"
        ? new WhiteBoxAttack(model, point.Tensor, batch, ((int)dims[1], (int)dims[2], (int)dims[3]), hyper, runtime with { AdamInGraph = !runtime.OptimizerInGraph })
        : null;
    if (other is not null)
    {
        var a = ours.Run(target, iterations: 100).Images;
        var b = other.Run(target, iterations: 100).Images;
        var diff = a.Zip(b, (u, v) => Math.Abs(u - v)).Max();
        if (device == ExecutionDevice.Cpu ? diff != 0 : diff > 1e-3) throw new InvalidOperationException($"in-graph and host Adam differ by {diff} after 100 iterations");
        sides.Add((other.InGraph ? "ours-ingraph" : "ours-hostadam", () => other.Run(target, iterations: iters)));
    }
    var res = AbTimer.Run(blocks, 1, iters, [.. sides]);
    Console.WriteLine(AbTimer.Line($"whitebox {Path.GetFileNameWithoutExtension(path)} {point.ProducerLabel} b{batch} (ms/iteration)", res, check));
}

void Decoder(string path, string at, int batch, int blocks, int steps)
{
    var model = OnnxModel.Load(path);
    var analysis = ModelAnalysis.Analyze(model);
    var point = SplitInversionAuditor.SelectPoints(model, analysis, at)[0];
    var (x, dims, _) = Batch(model, batch);
    using var f1 = new ModelSession(ModelSplitter.Split(model, point).Prefix, runtime);
    var (z, zDims) = f1.RunAll(x, dims);
    var (g, arch) = InverseNetwork.Build(point.Shape, ((int)dims[1], (int)dims[2], (int)dims[3]), new Random(3));
    var names = InverseNetwork.ParameterNames(g);
    long[] zd = [batch, .. zDims];
    Dictionary<string, float[]> Init() => names.ToDictionary(n => n, n => TensorData.ToFloats(g.FindInitializer(n)!), StringComparer.Ordinal);
    GradientSession Session(bool old)
    {
        GradientGraphVariants.Legacy = old;
        try
        {
            return GradientSessions.Create(g, new GradientRequest(new SquaredErrorLoss(InverseNetwork.Output), names, ParametersAsInputs: true), runtime);
        }
        finally
        {
            GradientGraphVariants.Legacy = false;
        }
    }
    using var ours = Session(false);
    using var old = legacy ? Session(true) : null;
    var pOurs = Init();
    var pOld = Init();
    var adams = names.ToDictionary(n => n, n => new Adam(pOurs[n].Length, 1e-3), StringComparer.Ordinal);
    var adamsOld = names.ToDictionary(n => n, n => new Adam(pOld[n].Length, 1e-3), StringComparer.Ordinal);
    double OursStep(GradientSession s, Dictionary<string, float[]> p, Dictionary<string, Adam> a)
    {
        var r = s.Run(z, zd, target: x, parameters: p);
        var loss = r.Loss;
        foreach (var n in names) a[n].Step(p[n], r.Gradient(n));
        return loss;
    }
    using var net = new OnnxTorch(g);
    var tz = torch.tensor(z, zd);
    var tx = torch.tensor(x, dims);
    var ps = names.Select(n => net.Parameters[n]).ToArray();
    var tnet = net;
    using var opt = torch.optim.Adam(ps, lr: 1e-3);
    double TorchStep()
    {
        using var scope = torch.NewDisposeScope();
        opt.zero_grad();
        var loss = F.mse_loss(tnet.Forward(tz), tx);
        loss.backward();
        opt.step();
        return loss.item<float>();
    }
    double la = 0, lb = 0;
    for (var s = 0; s < 20; s++)
    {
        la = OursStep(ours, pOurs, adams);
        lb = TorchStep();
    }
    var check = string.Create(inv, $"check MSE at step 20 {la:G6}/{lb:G6} (rel {Math.Abs(la - lb) / lb:E1}); g = {arch}");
    if (Math.Abs(la - lb) > 1e-3 * lb) throw new InvalidOperationException("sides disagree: " + check);
    var sides = new List<(string, Action)> { ("ours", () => OursStep(ours, pOurs, adams)), ("libtorch", () => TorchStep()) };
    if (old is not null) sides.Add(("ours-legacy", () => OursStep(old, pOld, adamsOld)));
    // INGRAPH=1: Adam inside the graph (AdamStepSession, the CUDA path), first checked bit-identical to 20 host steps
    using var stepper = Environment.GetEnvironmentVariable("INGRAPH") == "1"
        ? new AdamStepSession(ours.GradientModel, ours.Bindings, names, new AdamStep(1e-3), runtime)
        : null;
    if (stepper is not null)
    {
        var pHost = Init();
        var aHost = names.ToDictionary(n => n, n => new Adam(pHost[n].Length, 1e-3), StringComparer.Ordinal);
        for (var k = 0; k < 20; k++) OursStep(ours, pHost, aHost);
        stepper.Begin(Init(), 20);
        stepper.SetData(zd, z, target: x);
        for (var k = 0; k < 20; k++) stepper.Step(k == 19 ? StepRead.All : StepRead.None);
        var diff = names.Max(n => pHost[n].Zip(stepper.Values(n).ToArray(), (u, v) => Math.Abs(u - v)).Max());
        if (device == ExecutionDevice.Cpu ? diff != 0 : diff > 1e-4) throw new InvalidOperationException($"in-graph and host Adam differ by {diff} after 20 steps");
        stepper.Begin(Init(), 1 << 20);
        sides.Add(("ours-ingraph", () =>
        {
            stepper.SetData(zd, z, target: x);
            stepper.Step(StepRead.None);
        }));
    }
    var res = AbTimer.Run(blocks, steps, 1, [.. sides]);
    Console.WriteLine(AbTimer.Line($"decoder {Path.GetFileNameWithoutExtension(path)} {point.ProducerLabel} b{batch} (ms/step)", res, check));
}

void AdamBench(int n, int blocks, int reps)
{
    var rng = new Random(2);
    var g = Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() - 0.5)).ToArray();
    var p1 = new float[n];
    var p2 = new float[n];
    var fast = new Adam(n, 1e-3, amsGrad: true);
    var slow = new Adam(n, 1e-3, amsGrad: true);
    var tp = new TorchSharp.Modules.Parameter(torch.zeros(n), true);
    tp.grad = torch.tensor(g);
    using var opt = torch.optim.Adam([tp], lr: 1e-3, amsgrad: true);
    var res = AbTimer.Run(blocks, reps, 1, ("ours", () => fast.Step(p1, g)), ("libtorch", () => opt.step()), ("ours-scalar", () => slow.StepScalar(p2, g)));
    Console.WriteLine(AbTimer.Line($"adam amsgrad {n} params", res, string.Create(inv, $"ns/param ours {res[0].CpuMedian * 1e6 / n:F2}, scalar {res[2].CpuMedian * 1e6 / n:F2}")));
}

void Inverting(string path, int batch, int blocks, int iters)
{
    var model = OnnxModel.Load(path);
    var (x, dims, labels) = Batch(model, batch);
    var o = new InvertingOptions(Iterations: iters, Restarts: 1);
    using var ours = new GradientInversion(model, o, null, runtime);
    var names = ours.Parameters;
    var observed = FederatedGradient.ComputeFor(model, x, dims, labels, runtime, names).Parameters.Select(p => p.Values).ToList();
    using var net = new OnnxTorch(model);
    var ps = names.Select(n => net.Parameters[n]).ToArray();
    var targets = names.Select((n, i) => torch.tensor(observed[i], ps[i].shape)).ToArray();
    var ty = torch.tensor(labels);
    var n = x.Length;
    var start = new float[n];
    var rng0 = new Random(GradientInversion.StartSeed(o.Seed, 0, 7919));
    for (var i = 0; i < n; i++) start[i] = (float)rng0.NextDouble();
    Tensor Matching(Tensor xt)
    {
        // Geiping et al.'s 'sim' cost over all parameter gradients + TV (mean |Δ|), as GradientMatchingGraphBuilder
        var gs = torch.autograd.grad([F.cross_entropy(net.Forward(xt), ty)], ps, retain_graph: true, create_graph: true);
        Tensor dot = torch.zeros(1), gn = torch.zeros(1), tn = torch.zeros(1);
        for (var i = 0; i < gs.Count; i++)
        {
            dot = dot + (gs[i] * targets[i]).sum();
            gn = gn + gs[i].pow(2).sum();
            tn = tn + targets[i].pow(2).sum();
        }
        var dist = 1 - dot / (gn.sqrt() * tn.sqrt());
        var dh = (xt[.., .., 1.., ..] - xt[.., .., ..^1, ..]).abs().mean();
        var dw = (xt[.., .., .., 1..] - xt[.., .., .., ..^1]).abs().mean();
        return (dist + o.TvWeight * (dh + dw)).sum();
    }
    // equality: the matching loss and d/dx at the common start
    using var check1 = GradientMatchingSessions.Create(model, new GradientMatchingRequest(GradientDistance.Cosine, names, o.TvWeight), runtime);
    check1.SetTargets(observed);
    var gOurs = new float[n];
    var lOurs = check1.Run(start, batch, labels, gOurs);
    double lTorch, nTorch;
    using (var scope = torch.NewDisposeScope())
    {
        var xt = torch.tensor(start, dims).requires_grad_(true);
        var loss = Matching(xt);
        loss.backward();
        lTorch = loss.item<float>();
        nTorch = Math.Sqrt(xt.grad!.pow(2).sum().to_type(ScalarType.Float64).item<double>());
    }
    var nOurs = Math.Sqrt(gOurs.Sum(v => (double)v * v));
    var check = string.Create(inv, $"check loss {lOurs:G7}/{lTorch:G7} (rel {Math.Abs(lOurs - lTorch) / Math.Abs(lTorch):E1}) d/dx norm {nOurs:G7}/{nTorch:G7} (rel {Math.Abs(nOurs - nTorch) / nTorch:E1})");
    if (Math.Abs(lOurs - lTorch) > 1e-4 * Math.Abs(lTorch) + 1e-6 || Math.Abs(nOurs - nTorch) > 1e-3 * nTorch) throw new InvalidOperationException("sides disagree: " + check);
    int[] milestones = [iters * 3 / 8, iters * 5 / 8, iters * 7 / 8];
    void TorchLoop()
    {
        var xp = new TorchSharp.Modules.Parameter(torch.tensor(start, dims), true);
        using var opt = torch.optim.Adam([xp], lr: o.LearningRate);
        var sched = torch.optim.lr_scheduler.MultiStepLR(opt, milestones, 0.1);
        for (var it = 0; it < iters; it++)
        {
            using var scope = torch.NewDisposeScope();
            opt.zero_grad();
            Matching(xp).backward();
            using (torch.no_grad()) xp.grad!.sign_();
            opt.step();
            sched.step();
            using (torch.no_grad()) xp.clamp_(0, 1);
        }
        using (var scope = torch.NewDisposeScope()) Matching(xp).item<float>();
    }
    // ours-copy: the pre-change loop (x copied in, d/dx copied out every iteration; scalar signed Adam and clamp)
    using var copySession = GradientMatchingSessions.Create(model, new GradientMatchingRequest(GradientDistance.Cosine, names, o.TvWeight), runtime);
    copySession.SetTargets(observed);
    void OursCopy()
    {
        var xs = (float[])start.Clone();
        var g = new float[n];
        var m1 = new float[n];
        var v2 = new float[n];
        for (var it = 0; it < iters; it++)
        {
            var lr = o.LearningRate * Math.Pow(0.1, milestones.Count(ms => it >= ms));
            copySession.Run(xs, batch, labels, g);
            var step = (float)(lr / (1 - Math.Pow(0.9, it + 1)));
            var bc2 = (float)Math.Sqrt(1 - Math.Pow(0.999, it + 1));
            for (var i = 0; i < n; i++)
            {
                var gi = MathF.Sign(g[i]);
                m1[i] = 0.9f * m1[i] + 0.1f * gi;
                v2[i] = 0.999f * v2[i] + 0.001f * gi * gi;
                xs[i] -= step * m1[i] / (MathF.Sqrt(v2[i]) / bc2 + 1e-8f);
            }
            for (var i = 0; i < n; i++) xs[i] = Math.Clamp(xs[i], 0f, 1f);
        }
        copySession.Run(xs, batch, labels, g);
    }
    var sides = new List<(string, Action)> { ("ours", () => ours.RunInverting(observed, labels)), ("libtorch", TorchLoop) };
    if (Environment.GetEnvironmentVariable("COPY") == "1") sides.Add(("ours-copy", OursCopy));
    // INGRAPH=1: the other optimiser placement (signed Adam inside the graph on the CPU, on the host on CUDA)
    using var otherInv = Environment.GetEnvironmentVariable("INGRAPH") == "1"
        ? new GradientInversion(model, o, null, runtime with { AdamInGraph = !runtime.OptimizerInGraph })
        : null;
    if (otherInv is not null)
    {
        var a = ours.RunInverting(observed, labels).Images;
        var b = otherInv.RunInverting(observed, labels).Images;
        var diff = a.Zip(b, (u, v) => Math.Abs(u - v)).Max();
        if (device == ExecutionDevice.Cpu ? diff != 0 : diff > 1e-3) throw new InvalidOperationException($"in-graph and host signed Adam differ by {diff}");
        sides.Add((runtime.OptimizerInGraph ? "ours-hostadam" : "ours-ingraph", () => otherInv.RunInverting(observed, labels)));
    }
    var res = AbTimer.Run(blocks, 1, iters, [.. sides]);
    Console.WriteLine(AbTimer.Line($"inverting {Path.GetFileNameWithoutExtension(path)} b{batch} (ms/iteration)", res, check));
}

void Threads(string kind, string path, string at, int batch, int blocks)
{
    var model = OnnxModel.Load(path);
    var (x, dims, labels) = Batch(model, batch);
    var sides = new List<(string, Action)>();
    var owned = new List<IDisposable>();
    foreach (var t in new[] { 1, 2 })
    {
        var rt = new RuntimeOptions(IntraOpThreads: t);
        switch (kind)
        {
            case "grad":
                {
                    var s = GradientSessions.Create(model, new GradientRequest(new SoftmaxCrossEntropyLoss(), FederatedGradient.FloatInitializers(model)), rt);
                    owned.Add(s);
                    sides.Add(($"{t} thread(s)", () => s.Run(x, dims, labels)));
                    break;
                }
            case "whitebox":
                {
                    var analysis = ModelAnalysis.Analyze(model);
                    var point = SplitInversionAuditor.SelectPoints(model, analysis, at)[0];
                    var hyper = WhiteBoxHyperparameters.Defaults(WhiteBoxHyperparameters.Classify(analysis, point));
                    using var f1 = new ModelSession(ModelSplitter.Split(model, point).Prefix, runtime);
                    var target = f1.RunAll(x, dims).Data;
                    var a = new WhiteBoxAttack(model, point.Tensor, batch, ((int)dims[1], (int)dims[2], (int)dims[3]), hyper, rt);
                    owned.Add(a);
                    sides.Add(($"{t} thread(s)", () => a.Run(target, iterations: 10)));
                    break;
                }
            case "decoder":
                {
                    var analysis = ModelAnalysis.Analyze(model);
                    var point = SplitInversionAuditor.SelectPoints(model, analysis, at)[0];
                    using var f1 = new ModelSession(ModelSplitter.Split(model, point).Prefix, runtime);
                    var (z, zDims) = f1.RunAll(x, dims);
                    var (g, _) = InverseNetwork.Build(point.Shape, ((int)dims[1], (int)dims[2], (int)dims[3]), new Random(3));
                    var names = InverseNetwork.ParameterNames(g);
                    var p = names.ToDictionary(nm => nm, nm => TensorData.ToFloats(g.FindInitializer(nm)!), StringComparer.Ordinal);
                    var adams = names.ToDictionary(nm => nm, nm => new Adam(p[nm].Length, 1e-3), StringComparer.Ordinal);
                    var s = GradientSessions.Create(g, new GradientRequest(new SquaredErrorLoss(InverseNetwork.Output), names, ParametersAsInputs: true), rt);
                    owned.Add(s);
                    long[] zd = [batch, .. zDims];
                    sides.Add(($"{t} thread(s)", () =>
                    {
                        var r = s.Run(z, zd, target: x, parameters: p);
                        foreach (var nm in names) adams[nm].Step(p[nm], r.Gradient(nm));
                    }));
                    break;
                }
            default: throw new ArgumentException("threads: grad, whitebox or decoder");
        }
    }
    var res = AbTimer.Run(blocks, 3, kind == "whitebox" ? 10 : 1, [.. sides]);
    var wall = res.Select(r => AbTimer.Quantile(r.Wall, 0.5)).ToArray();
    Console.WriteLine(string.Create(inv, $"threads {kind} {Path.GetFileNameWithoutExtension(path)} {at} b{batch} | wall median ms: 1 thread {wall[0]:F3}, 2 threads {wall[1]:F3} | wall p10: {res[0].WallP10:F3} / {res[1].WallP10:F3} | 2÷1 median {wall[1] / wall[0]:F2} p10 {res[1].WallP10 / res[0].WallP10:F2} | load {File.ReadAllText("/proc/loadavg").Split(' ')[0]}"));
    foreach (var o in owned) o.Dispose();
}

void Exclusivity(string path, int m, int blocks, int batches)
{
    var model = OnnxModel.Load(path);
    var head = ModelAnalysis.Analyze(model).Head ?? throw new InvalidOperationException("no classifier head");
    var layers = HeadReluLayers.From(head);
    var (x, dims, _) = Batch(model, 2000);
    var n = (int)dims[0];
    using var forward = new ModelSession(model, runtime, [.. layers.Select(l => l.OutputName)]);
    using var net = new OnnxTorch(model);
    var tx = torch.tensor(x, dims);
    var rng = new Random(5);
    var picks = Enumerable.Range(0, batches).Select(_ => Enumerable.Range(0, n).OrderBy(_ => rng.Next()).Take(m).ToArray()).ToArray();
    var tPicks = picks.Select(p => torch.tensor(p.Select(v => (long)v).ToArray())).ToArray();
    ActivationMasks OursMasks() => ActivationMasks.Record(forward, model.Origin, x, dims, layers, 256, OnnxAudit.Progress.NullProgress.Instance);
    Tensor[] TorchMasks()
    {
        using var ng = torch.no_grad();
        var acts = net.ForwardAll(tx, [.. layers.Select(l => l.OutputName)]);
        // Corollary 1: a layer without ReLU activates every neuron for every sample
        return [.. acts.Select((a, i) => (layers[i].IsLinear ? torch.ones_like(a) > 0 : a > 0).flatten(1).detach().MoveToOuterDisposeScope())];
    }
    var counts = new int[layers.Count * m];
    int[][] OursCount(ActivationMasks masks)
    {
        var counter = new ExclusivityCounter(masks);
        var all = new int[batches][];
        for (var b = 0; b < batches; b++)
        {
            counter.Count(picks[b], counts);
            all[b] = (int[])counts.Clone();
        }
        return all;
    }
    long TorchCount(Tensor[] masks, int[][]? into)
    {
        long total = 0;
        for (var b = 0; b < batches; b++)
        {
            using var scope = torch.NewDisposeScope();
            for (var l = 0; l < masks.Length; l++)
            {
                var sub = masks[l].index_select(0, tPicks[b]);
                var once = sub.sum(0, type: ScalarType.Int32) == 1;
                var c = (sub & once).sum(1, type: ScalarType.Int32);
                if (into is not null) for (var k = 0; k < m; k++) into[b][l * m + k] = c[k].item<int>();
                else total += c[0].item<int>();
            }
        }
        return total;
    }
    var om = OursMasks();
    var tm = TorchMasks();
    var oc = OursCount(om);
    var tc = Enumerable.Range(0, batches).Select(_ => new int[layers.Count * m]).ToArray();
    TorchCount(tm, tc);
    var same = Enumerable.Range(0, batches).All(b => oc[b].AsSpan().SequenceEqual(tc[b]));
    var activeOurs = Enumerable.Range(0, layers.Count).Sum(l => Enumerable.Range(0, n).Sum(s => om.ActiveCount(l, s)));
    var activeTorch = tm.Sum(t => t.sum().item<long>());
    var check = string.Create(inv, $"check active bits {activeOurs}/{activeTorch}, N_i^m equal in {batches}/{batches} batches: {same}; {layers.Count} head layer(s) of width {string.Join(",", layers.Select(l => l.Width))}");
    if (!same || activeOurs != activeTorch) throw new InvalidOperationException("sides disagree: " + check);
    var r1 = AbTimer.Run(blocks, 1, 1, ("ours", () => OursMasks()), ("libtorch", () => { foreach (var t in TorchMasks()) t.Dispose(); }));
    Console.WriteLine(AbTimer.Line($"exclusivity masks {Path.GetFileNameWithoutExtension(path)} {n} images (ms)", r1, check));
    var counter = new ExclusivityCounter(om);
    long OursTimed()
    {
        long total = 0;
        for (var b = 0; b < batches; b++)
        {
            counter.Count(picks[b], counts);
            for (var l = 0; l < layers.Count; l++) total += counts[l * m];
        }
        return total;
    }
    if (OursTimed() != TorchCount(tm, null)) throw new InvalidOperationException("timed loops disagree");
    var r2 = AbTimer.Run(blocks, 1, 1, ("ours", () => OursTimed()), ("libtorch", () => TorchCount(tm, null)));
    Console.WriteLine(AbTimer.Line($"exclusivity N_i^m {Path.GetFileNameWithoutExtension(path)} M={m} (ms per {batches} batches)", r2, check));
}

void RConvSolve(int channels, int filters, int k, int pad, int hw, int blocks)
{
    var g = OnnxAudit.Audits.RConv.ConvGeometry.Create("conv", "w", "b", channels, filters, k, k, 1, 1, pad, pad, pad, pad, 1, 1, 1, hw, hw);
    var rng = new Random(9);
    var dO = Enumerable.Range(0, filters * g.OutH * g.OutW).Select(_ => rng.NextDouble() - 0.5).ToArray();
    var dW = Enumerable.Range(0, filters * channels * k * k).Select(_ => (float)(rng.NextDouble() - 0.5)).ToArray();
    const double tol = 1e-6; // RConvOptions.RankTolerance
    var a = OnnxAudit.Audits.RConv.ConvConstraints.GradientMatrix(g, dO, 0);
    var b = OnnxAudit.Audits.RConv.ConvConstraints.GradientRhs(g, dW, 0);
    var ta = torch.tensor(a.ToRowMajorArray(), [a.RowCount, a.ColumnCount], ScalarType.Float64);
    var tb = torch.tensor(b.ToRowMajorArray(), [b.RowCount, b.ColumnCount], ScalarType.Float64);
    double[] Torch()
    {
        using var scope = torch.NewDisposeScope();
        // the same minimum-norm solution: thin SVD, singular values below tol·σ_max dropped, x = V_r S_r⁻¹ U_rᵀ b; V kept (null space)
        var (u, sv, vh) = torch.linalg.svd(ta, fullMatrices: false);
        var max = sv.max().item<double>();
        var r = (int)(sv > tol * max).sum().item<long>();
        var sol = vh[..r].t().matmul(u[.., ..r].t().matmul(tb) / sv[..r].unsqueeze(1));
        _ = vh[r..];
        return sol.t().contiguous().data<double>().ToArray();
    }
    var ours = OnnxAudit.Audits.RConv.RConvReconstructor.SolveGradientSystem(g, dO, dW, tol);
    var theirs = Torch();
    var diff = ours.X.Zip(theirs).Max(t => Math.Abs(t.First - t.Second));
    var scale = theirs.Max(Math.Abs);
    var check = string.Create(inv, $"check A {a.RowCount}×{a.ColumnCount}, rank {ours.Rank[0]}, solution max |Δ| {diff:E1} (max |x| {scale:G3})");
    if (diff > 1e-8 * Math.Max(1, scale)) throw new InvalidOperationException("sides disagree: " + check);
    var res = AbTimer.Run(blocks, 1, 1, ("ours", () => OnnxAudit.Audits.RConv.RConvReconstructor.SolveGradientSystem(g, dO, dW, tol)), ("libtorch", () => Torch()));
    Console.WriteLine(AbTimer.Line($"rconv solve C={channels} F={filters} k={k} {hw}×{hw} (ms; ours includes building A, b)", res, check));
}
