using OnnxAudit.Autodiff;
using OnnxAudit.Onnx;
using OnnxAudit.Runtime;

namespace OnnxAudit.Audits.GradientAttack;

/// <summary>Options of stage 2 of the hybrid attack (feature matching, Pan et al. §5).</summary>
/// <param name="Iterations">Adam steps (0 turns stage 2 off).</param>
/// <param name="LearningRate">Adam step size (pixels in [0,1]).</param>
/// <param name="TvWeight">λ_TV of the per-image objective mean((Φ(x) − Φ̂)²) + λ_TV·TV(x), TV = Σ(Δ_h x)² + Σ(Δ_w x)².</param>
/// <param name="Start">Constant start value of every pixel.</param>
// why: defaults from a sweep on lenet5 (M = 2 insecure batches, Fashion-MNIST): λ_TV ∈ {0, 1e-5, 3e-5, 1e-4, 3e-4, 1e-3, 3e-3, 1e-2}
// gave mean PSNR 13.5 / 15.9 / 18.2 / 19.5 / 18.7 / 18.0 / 17.3 / 16.4 dB at 1000 steps; 3000 steps gained nothing; start 0 was worse.
public sealed record FeatureMatchingOptions(int Iterations = 1000, double LearningRate = 0.02, double TvWeight = 1e-4, float Start = 0.5f)
{
    /// <summary>How the iteration count was chosen (<see cref="FeatureMatchingPlanner"/>; null = as configured), stated beside the result.</summary>
    public string? Planned { get; init; }

    /// <summary>1000 steps, lr 0.02, λ_TV 1e-4, start 0.5.</summary>
    public static FeatureMatchingOptions Default { get; } = new();

    /// <summary>300 steps at lr 0.05 (about 0.5 dB below the default on lenet5).</summary>
    public static FeatureMatchingOptions Quick { get; } = new(Iterations: 300, LearningRate: 0.05);

    /// <summary>Stage 2 disabled.</summary>
    public static FeatureMatchingOptions Off { get; } = new(Iterations: 0);
}

/// <summary>
/// Stage 2 of the hybrid attack on f = g∘Φ (Pan et al. §5): given a recovered head input Φ̂, find the image x with
/// x* = argmin_x mean((Φ(x) − Φ̂)²) + λ_TV·TV(x), x ∈ [0,1], by Adam from a constant image, with the gradient w.r.t. x from
/// a <see cref="GradientSession"/> (one run per step for all images of a batch). Sessions are cached per batch size.
/// Dispose it. Not thread-safe.
/// </summary>
// why: the paper parameterises x as the output of a generator network on fixed noise (deep image prior, its ref. [47]);
// we optimise the pixels directly with a TV prior, as DESIGN.md specifies (the same objective without the implicit prior).
internal sealed class FeatureMatching : IDisposable
{
    private readonly OnnxModel _model;
    private readonly string _headInput;
    private readonly long[] _sampleDims;
    private readonly RuntimeOptions? _runtime;
    private readonly Dictionary<int, GradientSession> _sessions = [];
    private readonly bool _tv;

    /// <summary>Creates the solver for <paramref name="model"/> whose head input is <paramref name="headInput"/>.</summary>
    /// <param name="model">The classifier.</param>
    /// <param name="headInput">Φ's output tensor (the head input).</param>
    /// <param name="sampleDims">Shape of one input sample (C, H, W for images).</param>
    /// <param name="options">Iterations, learning rate, λ_TV.</param>
    /// <param name="runtime">ONNX Runtime options.</param>
    public FeatureMatching(OnnxModel model, string headInput, long[] sampleDims, FeatureMatchingOptions options, RuntimeOptions? runtime)
    {
        _model = model;
        _headInput = headInput;
        _sampleDims = sampleDims;
        Options = options;
        _runtime = runtime;
        // why: TV is defined on H×W planes; the gradient builder adds it only for NCHW inputs.
        _tv = sampleDims.Length == 3 && options.TvWeight > 0;
    }

    /// <summary>The options.</summary>
    public FeatureMatchingOptions Options { get; }

    /// <summary>Reconstructs one image per target (each the head input Φ̂ of one sample); returns the images (C×H×W each)
    /// and the per-image objective at the last step, averaged over the targets.</summary>
    public (float[][] Images, double FinalLoss) Run(IReadOnlyList<float[]> targets)
    {
        var b = targets.Count;
        if (b == 0) return ([], double.NaN);
        var per = (int)_sampleDims.Aggregate(1L, (x, y) => x * y);
        var session = Session(b);
        var target = targets.SelectMany(t => t).ToArray();
        long[] dims = [b, .. _sampleDims];
        var x = new float[b * per];
        Array.Fill(x, Options.Start);
        var adam = new Adam(x.Length, Options.LearningRate);
        var loss = double.NaN;
        for (var it = 0; it < Options.Iterations; it++)
        {
            var run = session.Run(x, dims, target: target);
            loss = run.Loss * b;
            // why: the batch loss is (1/B)·Σ_m [mse_m + λ·TV_m] (TV weight λ/B in the graph), so scaling by B gives each image
            // exactly the gradient of its own objective: batching does not change the result.
            adam.Step(x, run.Gradient(session.InputName), b);
            for (var i = 0; i < x.Length; i++) x[i] = Math.Clamp(x[i], 0f, 1f);
        }
        var images = new float[b][];
        for (var m = 0; m < b; m++) images[m] = x.AsSpan(m * per, per).ToArray();
        return (images, loss / b);
    }

    private GradientSession Session(int batch)
    {
        if (_sessions.TryGetValue(batch, out var s)) return s;
        var input = ModelEditor.DataInput(_model);
        s = GradientSessions.Create(_model, new GradientRequest(new SquaredErrorLoss(_headInput), [input],
            TotalVariationWeight: _tv ? Options.TvWeight / batch : 0), _runtime);
        _sessions[batch] = s;
        return s;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var s in _sessions.Values) s.Dispose();
        _sessions.Clear();
    }
}
