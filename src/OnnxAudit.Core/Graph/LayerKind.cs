namespace OnnxAudit.Graph;

/// <summary>What a layer does, as far as the audits care.</summary>
public enum LayerKind
{
    /// <summary>Fully-connected: Gemm, or MatMul with a constant weight (plus a following Add of a 1-D bias).</summary>
    Linear,
    /// <summary>Conv (N-d); see <see cref="ConvInfo"/>.</summary>
    Convolution,
    /// <summary>Elementwise activation: Relu, LeakyRelu, PRelu, Sigmoid, Tanh, Elu, Selu, Softplus, Clip, ….</summary>
    Activation,
    /// <summary>MaxPool, AveragePool, LpPool and their global forms.</summary>
    Pooling,
    /// <summary>BatchNormalization, LayerNormalization, InstanceNormalization, GroupNormalization, LRN, ….</summary>
    Normalization,
    /// <summary>Reshape, Flatten, Squeeze, Unsqueeze.</summary>
    Reshape,
    /// <summary>Dropout (identity at inference).</summary>
    Dropout,
    /// <summary>Softmax or LogSoftmax.</summary>
    Softmax,
    /// <summary>Identity. Not produced by the analyzer any more: an Identity node is no layer (its output is read as its
    /// input); kept so that serialised analyses keep their meaning.</summary>
    Identity,
    /// <summary>Anything else (Add of a skip connection, Concat, Shape, Constant, ConvTranspose, …).</summary>
    Other,
}
