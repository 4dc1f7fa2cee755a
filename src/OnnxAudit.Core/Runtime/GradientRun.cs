namespace OnnxAudit.Runtime;

/// <summary>
/// The outputs of the latest <see cref="GradientSession.Run"/>. The spans point into buffers owned by the session and
/// are overwritten by the next call and invalid after the session is disposed; copy what you keep.
/// </summary>
public sealed class GradientRun
{
    private readonly GradientSession _owner;

    internal GradientRun(GradientSession owner) => _owner = owner;

    /// <summary>The total loss (data term plus regularisers).</summary>
    public float Loss => _owner.Output(_owner.Bindings.LossOutput).Data[0];

    /// <summary>The gradient of the loss w.r.t. <paramref name="name"/> (a parameter or the input), row-major in its shape.</summary>
    public ReadOnlySpan<float> Gradient(string name) =>
        _owner.Output(_owner.Bindings.GradientOutputs.TryGetValue(name, out var output) ? output : name).Data;

    /// <summary>The gradient of the loss w.r.t. <paramref name="name"/>, writable in place (e.g. to scale it before an
    /// optimiser step): the session's output buffer, overwritten by the next run.</summary>
    public Span<float> GradientBuffer(string name) =>
        _owner.Output(_owner.Bindings.GradientOutputs.TryGetValue(name, out var output) ? output : name).Data;

    /// <summary>Any output of the gradient model by name (e.g. an extra intermediate output).</summary>
    public ReadOnlySpan<float> Output(string name) => _owner.Output(name).Data;

    /// <summary>The shape of an output (batch resolved).</summary>
    public IReadOnlyList<long> Dims(string name) => _owner.Output(name).Dims;

    /// <summary>Names of all outputs.</summary>
    public IEnumerable<string> OutputNames => _owner.OutputNames;
}
