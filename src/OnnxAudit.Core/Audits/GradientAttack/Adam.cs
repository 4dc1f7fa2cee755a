namespace OnnxAudit.Audits.GradientAttack;

/// <summary>
/// Plain Adam (Kingma &amp; Ba) for one float parameter array, in PyTorch's form: m ← β1·m + (1−β1)·g;
/// v ← β2·v + (1−β2)·g²; p ← p − (lr/(1−β1ᵗ))·m/(√v/√(1−β2ᵗ) + ε). Not thread-safe.
/// </summary>
internal sealed class Adam
{
    private readonly float[] _m;
    private readonly float[] _v;
    private readonly float _lr;
    private readonly float _beta1;
    private readonly float _beta2;
    private readonly float _eps;
    private int _t;

    /// <summary>Creates the state for <paramref name="size"/> parameters.</summary>
    public Adam(int size, double learningRate, double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-8)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        if (!(learningRate > 0)) throw new ArgumentOutOfRangeException(nameof(learningRate), learningRate, "learning rate must be > 0");
        _m = new float[size];
        _v = new float[size];
        _lr = (float)learningRate;
        _beta1 = (float)beta1;
        _beta2 = (float)beta2;
        _eps = (float)epsilon;
    }

    /// <summary>Steps taken.</summary>
    public int Steps => _t;

    /// <summary>One update of <paramref name="p"/> in place with gradient <paramref name="g"/>·<paramref name="scale"/>.</summary>
    public void Step(Span<float> p, ReadOnlySpan<float> g, float scale = 1f)
    {
        if (p.Length != _m.Length || g.Length != _m.Length)
            throw new ArgumentException($"expected {_m.Length} parameters and gradients, got {p.Length} and {g.Length}");
        _t++;
        var step = (float)(_lr / (1 - Math.Pow(_beta1, _t)));
        var bc2 = (float)Math.Sqrt(1 - Math.Pow(_beta2, _t));
        for (var i = 0; i < p.Length; i++)
        {
            var gi = g[i] * scale;
            _m[i] = _beta1 * _m[i] + (1 - _beta1) * gi;
            _v[i] = _beta2 * _v[i] + (1 - _beta2) * gi * gi;
            p[i] -= step * _m[i] / (MathF.Sqrt(_v[i]) / bc2 + _eps);
        }
    }
}
