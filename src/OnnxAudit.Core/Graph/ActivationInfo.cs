namespace OnnxAudit.Graph;

/// <summary>Parameters of an elementwise activation (those that apply to its op type; others null).</summary>
/// <param name="Function">The op type, e.g. "LeakyRelu".</param>
/// <param name="Alpha">alpha of LeakyRelu (default 0.01), Elu (1), Selu (1.67326…), HardSigmoid (0.2), Celu (1).</param>
/// <param name="Gamma">gamma of Selu (1.05070…).</param>
/// <param name="Beta">beta of HardSigmoid (0.5).</param>
/// <param name="Min">Clip lower bound when given (attribute before opset 11, constant input after).</param>
/// <param name="Max">Clip upper bound when given.</param>
/// <param name="SlopeName">PRelu slope initializer, or null.</param>
public sealed record ActivationInfo(string Function, double? Alpha = null, double? Gamma = null, double? Beta = null, double? Min = null, double? Max = null, string? SlopeName = null);
