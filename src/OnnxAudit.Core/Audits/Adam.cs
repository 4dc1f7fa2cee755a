using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;

namespace OnnxAudit.Audits;

/// <summary>
/// Adam for one float parameter array, optionally with the AMSGrad correction, written to match PyTorch 1.13's
/// <c>torch.optim.Adam(amsgrad=…)</c> step for step: m ← β1·m + (1−β1)·g; v ← β2·v + (1−β2)·g²; with AMSGrad v̂ ← max(v̂, v),
/// else v̂ = v; p ← p − (lr/(1−β1ᵗ)) · m / (√v̂/√(1−β2ᵗ) + ε). State is float (as PyTorch's), bias corrections double.
/// Used by the split-inversion attacks (AMSGrad, He et al.), the inverse-network and shadow training, and the hybrid
/// gradient attack's feature matching. The step runs on <see cref="Vector{T}"/> lanes with the scalar loop's exact float
/// operations, so results are bit-identical to it (kept as <see cref="StepScalar"/>, the test oracle). Not thread-safe.
/// </summary>
internal sealed class Adam
{
    private readonly float[] _m;
    private readonly float[] _v;
    private readonly float[] _vMax;
    private int _t;

    /// <summary>Creates the state for <paramref name="size"/> parameters.</summary>
    public Adam(int size, double learningRate, double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-8, bool amsGrad = false)
    {
        AmsGrad = amsGrad;
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        if (!(learningRate > 0)) throw new ArgumentOutOfRangeException(nameof(learningRate), learningRate, "learning rate must be > 0");
        _m = new float[size];
        _v = new float[size];
        _vMax = new float[size];
        LearningRate = learningRate;
        Beta1 = beta1;
        Beta2 = beta2;
        Epsilon = epsilon;
    }

    /// <summary>Step size.</summary>
    public double LearningRate { get; }

    /// <summary>First-moment decay.</summary>
    public double Beta1 { get; }

    /// <summary>Second-moment decay.</summary>
    public double Beta2 { get; }

    /// <summary>Denominator stabiliser ε.</summary>
    public double Epsilon { get; }

    /// <summary>Whether the AMSGrad correction (running maximum of v) is applied.</summary>
    public bool AmsGrad { get; }

    /// <summary>Clamps every value to [0, 1] in place, vectorised (NaN stays NaN, as with Math.Clamp): the box
    /// constraint of the inversion attacks after each step.</summary>
    public static void Clamp01(Span<float> x)
    {
        TensorPrimitives.Max(x, 0f, x);
        TensorPrimitives.Min(x, 1f, x);
    }

    /// <summary>Steps taken so far.</summary>
    public int Steps => _t;

    /// <summary>One update of <paramref name="parameters"/> in place with <paramref name="gradient"/> scaled by <paramref name="gradientScale"/>.</summary>
    public void Step(Span<float> parameters, ReadOnlySpan<float> gradient, float gradientScale = 1f)
    {
        if (parameters.Length != _m.Length || gradient.Length != _m.Length)
            throw new ArgumentException($"expected {_m.Length} parameters and gradients, got {parameters.Length} and {gradient.Length}");
        _t++;
        var b1 = (float)Beta1;
        var b2 = (float)Beta2;
        var c1 = 1f - b1;
        var c2 = 1f - b2;
        var stepSize = (float)(LearningRate / (1 - Math.Pow(Beta1, _t)));
        var bc2Sqrt = (float)Math.Sqrt(1 - Math.Pow(Beta2, _t));
        var eps = (float)Epsilon;
        var m = _m.AsSpan();
        var v = _v.AsSpan();
        var vMax = _vMax.AsSpan();
        var i = 0;
        if (Vector.IsHardwareAccelerated && parameters.Length >= Vector<float>.Count)
        {
            // why: the same float operations in the same order as the scalar loop below (no FMA contraction, IEEE
            // square root), so the results are bit-identical to it; AdamTests checks that against StepScalar.
            var vb1 = new Vector<float>(b1);
            var vb2 = new Vector<float>(b2);
            var vc1 = new Vector<float>(c1);
            var vc2 = new Vector<float>(c2);
            var vScale = new Vector<float>(gradientScale);
            var vStep = new Vector<float>(stepSize);
            var vBc2 = new Vector<float>(bc2Sqrt);
            var vEps = new Vector<float>(eps);
            var pv = MemoryMarshal.Cast<float, Vector<float>>(parameters);
            var gv = MemoryMarshal.Cast<float, Vector<float>>(gradient);
            var mv = MemoryMarshal.Cast<float, Vector<float>>(m);
            var vv = MemoryMarshal.Cast<float, Vector<float>>(v);
            var xv = MemoryMarshal.Cast<float, Vector<float>>(vMax);
            for (var k = 0; k < pv.Length; k++)
            {
                var g = gv[k] * vScale;
                var mk = mv[k] * vb1 + vc1 * g;
                var vk = vv[k] * vb2 + vc2 * g * g;
                var xk = AmsGrad ? Vector.Max(xv[k], vk) : vk;
                mv[k] = mk;
                vv[k] = vk;
                xv[k] = xk;
                pv[k] -= vStep * mk / (Vector.SquareRoot(xk) / vBc2 + vEps);
            }
            i = pv.Length * Vector<float>.Count;
        }
        Tail(parameters, gradient, gradientScale, i, b1, b2, c1, c2, stepSize, bc2Sqrt, eps);
    }

    /// <summary>
    /// The plain scalar update (test oracle for the vectorised <see cref="Step"/>): takes one step over all elements.
    /// </summary>
    internal void StepScalar(Span<float> parameters, ReadOnlySpan<float> gradient, float gradientScale = 1f)
    {
        if (parameters.Length != _m.Length || gradient.Length != _m.Length)
            throw new ArgumentException($"expected {_m.Length} parameters and gradients, got {parameters.Length} and {gradient.Length}");
        _t++;
        var b1 = (float)Beta1;
        var b2 = (float)Beta2;
        Tail(parameters, gradient, gradientScale, 0, b1, b2, 1f - b1, 1f - b2,
            (float)(LearningRate / (1 - Math.Pow(Beta1, _t))), (float)Math.Sqrt(1 - Math.Pow(Beta2, _t)), (float)Epsilon);
    }

    // m ← β1·m + (1−β1)·g; v ← β2·v + (1−β2)·g²; v̂ ← max(v̂, v) (AMSGrad) or v; p ← p − step·m / (√v̂/√(1−β2ᵗ) + ε), from index start.
    private void Tail(Span<float> parameters, ReadOnlySpan<float> gradient, float gradientScale, int start,
        float b1, float b2, float c1, float c2, float stepSize, float bc2Sqrt, float eps)
    {
        var m = _m.AsSpan();
        var v = _v.AsSpan();
        var vMax = _vMax.AsSpan();
        for (var i = start; i < parameters.Length; i++)
        {
            var g = gradient[i] * gradientScale;
            m[i] = m[i] * b1 + c1 * g;
            v[i] = v[i] * b2 + c2 * g * g;
            if (!AmsGrad || v[i] > vMax[i]) vMax[i] = v[i];
            parameters[i] -= stepSize * m[i] / (MathF.Sqrt(vMax[i]) / bc2Sqrt + eps);
        }
    }
}
