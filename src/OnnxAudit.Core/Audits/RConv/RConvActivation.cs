namespace OnnxAudit.Audits.RConv;

/// <summary>Element-wise activations the R-CONV attack can propagate gradients through.</summary>
public enum RConvActivationKind
{
    /// <summary>No activation (the conv output is consumed directly); the identity.</summary>
    Identity,
    /// <summary>max(x, 0): derivative known from the output, but not invertible (negatives collapse to 0).</summary>
    Relu,
    /// <summary>x if x ≥ 0 else α·x (α &gt; 0): invertible.</summary>
    LeakyRelu,
    /// <summary>1/(1+e^−x): invertible on (0,1).</summary>
    Sigmoid,
    /// <summary>tanh(x): invertible on (−1,1).</summary>
    Tanh,
    /// <summary>x if x ≥ 0 else α(e^x − 1): invertible for α &gt; 0.</summary>
    Elu,
}

/// <summary>An activation node with its parameter (α for LeakyRelu/Elu). Immutable.</summary>
/// <param name="Kind">The activation.</param>
/// <param name="Alpha">α for LeakyRelu (ONNX default 0.01) and Elu (default 1); ignored otherwise.</param>
/// <param name="NodeName">The ONNX node (empty for <see cref="RConvActivationKind.Identity"/>).</param>
public sealed record RConvActivation(RConvActivationKind Kind, double Alpha, string NodeName)
{
    /// <summary>The identity (no activation node).</summary>
    public static RConvActivation Identity { get; } = new(RConvActivationKind.Identity, 0, "");

    /// <summary>ONNX op types recognised as activations.</summary>
    public static IReadOnlyList<string> SupportedOpTypes { get; } = ["Relu", "LeakyRelu", "Sigmoid", "Tanh", "Elu"];

    /// <summary>True when the activation is a bijection, so its input can be recovered from its output
    /// (needed to use the forward constraints W*X + b = O of the conv below it).</summary>
    public bool IsInvertible => Kind switch
    {
        RConvActivationKind.Relu => false,
        RConvActivationKind.LeakyRelu or RConvActivationKind.Elu => Alpha > 0,
        _ => true,
    };

    /// <summary>Display name (the ONNX op type, or "none").</summary>
    public string OpType => Kind == RConvActivationKind.Identity ? "none" : Kind.ToString();

    /// <summary>A'(x) written in the output y = A(x).</summary>
    // why: R-CONV slides, "Propagating Gradient Through Activation Function", Table 1: the derivative is
    // expressed in the activation's output, which the attacker has just reconstructed.
    public double DerivativeFromOutput(double y) => Kind switch
    {
        RConvActivationKind.Identity => 1,
        RConvActivationKind.Relu => y > 0 ? 1 : 0,
        RConvActivationKind.LeakyRelu => y >= 0 ? 1 : Alpha,
        RConvActivationKind.Sigmoid => y * (1 - y),
        RConvActivationKind.Tanh => 1 - (y * y),
        RConvActivationKind.Elu => y >= 0 ? 1 : y + Alpha,
        _ => throw new InvalidOperationException(Kind.ToString()),
    };

    /// <summary>A⁻¹(y); only meaningful when <see cref="IsInvertible"/>. Sigmoid/Tanh outputs are clamped
    /// into the open range so that reconstruction noise at saturation stays finite.</summary>
    public double Inverse(double y) => Kind switch
    {
        RConvActivationKind.Identity => y,
        RConvActivationKind.LeakyRelu => y >= 0 ? y : y / Alpha,
        RConvActivationKind.Sigmoid => Math.Log(Math.Clamp(y, 1e-12, 1 - 1e-12) / (1 - Math.Clamp(y, 1e-12, 1 - 1e-12))),
        RConvActivationKind.Tanh => Math.Atanh(Math.Clamp(y, -1 + 1e-12, 1 - 1e-12)),
        RConvActivationKind.Elu => y >= 0 ? y : Math.Log(Math.Max(y / Alpha + 1, 1e-300)),
        RConvActivationKind.Relu => throw new InvalidOperationException("Relu is not invertible"),
        _ => throw new InvalidOperationException(Kind.ToString()),
    };

    /// <summary>A(x) (used by tests and the forward check).</summary>
    public double Apply(double x) => Kind switch
    {
        RConvActivationKind.Identity => x,
        RConvActivationKind.Relu => Math.Max(x, 0),
        RConvActivationKind.LeakyRelu => x >= 0 ? x : Alpha * x,
        RConvActivationKind.Sigmoid => 1 / (1 + Math.Exp(-x)),
        RConvActivationKind.Tanh => Math.Tanh(x),
        RConvActivationKind.Elu => x >= 0 ? x : Alpha * (Math.Exp(x) - 1),
        _ => throw new InvalidOperationException(Kind.ToString()),
    };
}
