using OnnxAudit.Graph;

namespace OnnxAudit.Tests.Graph;

/// <summary>Hand-written expectations for the bundled models (architectures in models/README.md). Every number
/// below is derived by hand from the architecture; the arithmetic is in the comments.</summary>
internal static class BundledModelExpectations
{
    /// <summary>One layer: op type, kind, label (for conv/fc layers, whose module names are fixed) or null,
    /// parameter count, and per-sample output shape.</summary>
    internal sealed record LayerSpec(string Op, LayerKind Kind, string? Label, long Params, long[] Out);

    /// <summary>A convolution: label, in/out channels, kernel, stride, pad (all sides), input and output size.</summary>
    internal sealed record ConvSpec(string Label, long In, long Out, long K, long S, long P, long InHW, long OutHW);

    /// <summary>A split point: index of the producing layer, elements per sample, compression 784 / elements.</summary>
    internal sealed record SplitSpec(int Producer, long Elements, double Compression);

    internal sealed record ModelSpec(
        long Parameters, LayerSpec[] Layers, ConvSpec[] Convs, long[] ReluWidths,
        long HeadInputWidth, string[] HeadLinears, long[] HeadWidths, long[] HeadReluWidths, long? D1, SplitSpec[] Splits);

    private static LayerSpec L(string op, LayerKind kind, string? label, long parameters, params long[] shape) => new(op, kind, label, parameters, shape);
    private static LayerSpec Flatten(long n) => L("Flatten", LayerKind.Reshape, null, 0, n);
    private static LayerSpec Relu(params long[] shape) => L("Relu", LayerKind.Activation, null, 0, shape);
    private static LayerSpec Leaky(params long[] shape) => L("LeakyRelu", LayerKind.Activation, null, 0, shape);
    private static LayerSpec Pool(params long[] shape) => L("MaxPool", LayerKind.Pooling, null, 0, shape);
    private static LayerSpec Fc(string label, long inF, long outF) => L("Gemm", LayerKind.Linear, label, inF * outF + outF, outF);
    private static LayerSpec Conv(string label, long inC, long outC, long k, long hw) => L("Conv", LayerKind.Convolution, label, outC * inC * k * k + outC, outC, hw, hw);
    private static SplitSpec S(int producer, long elements, double compression) => new(producer, elements, compression);

    // fcn-512: Flatten → fc1 784→512 → Relu → fc2 512→10.
    // Parameters: fc1 784·512 + 512 = 401,920; fc2 512·10 + 10 = 5,130; total 407,050.
    private static readonly ModelSpec Fcn512 = new(
        407_050,
        [Flatten(784), Fc("fc1", 784, 512), Relu(512), Fc("fc2", 512, 10)],
        [],
        [512],
        784, ["fc1", "fc2"], [784, 512, 10], [512], 512,
        // every tensor of the chain except input and output; compression 784/784 = 1, 784/512 = 1.53125
        [S(0, 784, 1.0), S(1, 512, 1.53125), S(2, 512, 1.53125)]);

    // fcn-deep: Flatten → fc1 784→512 → Relu → fc2 512→512 → Relu → fc3 512→512 → Relu → fc4 512→10.
    // Parameters: 401,920 + 2·(512·512 + 512 = 262,656) + 5,130 = 932,362.
    private static readonly ModelSpec FcnDeep = new(
        932_362,
        [Flatten(784), Fc("fc1", 784, 512), Relu(512), Fc("fc2", 512, 512), Relu(512), Fc("fc3", 512, 512), Relu(512), Fc("fc4", 512, 10)],
        [],
        [512, 512, 512],
        784, ["fc1", "fc2", "fc3", "fc4"], [784, 512, 512, 512, 10], [512, 512, 512], 512,
        [S(0, 784, 1.0), S(1, 512, 1.53125), S(2, 512, 1.53125), S(3, 512, 1.53125), S(4, 512, 1.53125), S(5, 512, 1.53125), S(6, 512, 1.53125)]);

    // lenet5: conv1 (1→6, k5, p2: 28 + 4 − 5 + 1 = 28) → Relu (6·28·28 = 4,704) → MaxPool 2 (6·14·14 = 1,176)
    // → conv2 (6→16, k5: 14 − 5 + 1 = 10; 16·10·10 = 1,600) → Relu → MaxPool 2 (16·5·5 = 400) → Flatten 400
    // → fc1 400→120 → Relu → fc2 120→84 → Relu → fc3 84→10.
    // Parameters: conv1 6·1·25 + 6 = 156; conv2 16·6·25 + 16 = 2,416; fc1 48,000 + 120 = 48,120;
    // fc2 10,080 + 84 = 10,164; fc3 840 + 10 = 850; total 61,706.
    private static readonly ModelSpec LeNet5 = new(
        61_706,
        [
            Conv("conv1", 1, 6, 5, 28), Relu(6, 28, 28), Pool(6, 14, 14),
            Conv("conv2", 6, 16, 5, 10), Relu(16, 10, 10), Pool(16, 5, 5), Flatten(400),
            Fc("fc1", 400, 120), Relu(120), Fc("fc2", 120, 84), Relu(84), Fc("fc3", 84, 10),
        ],
        [new("conv1", 1, 6, 5, 1, 2, 28, 28), new("conv2", 6, 16, 5, 1, 0, 14, 10)],
        [4704, 1600, 120, 84],
        400, ["fc1", "fc2", "fc3"], [400, 120, 84, 10], [120, 84], 120,
        // compression 784/4704 = 0.16667, 784/1176 = 0.66667, 784/1600 = 0.49, 784/400 = 1.96, 784/120 = 6.5333, 784/84 = 9.3333
        [
            S(0, 4704, 0.166667), S(1, 4704, 0.166667), S(2, 1176, 0.666667), S(3, 1600, 0.49), S(4, 1600, 0.49),
            S(5, 400, 1.96), S(6, 400, 1.96), S(7, 120, 6.533333), S(8, 120, 6.533333), S(9, 84, 9.333333), S(10, 84, 9.333333),
        ]);

    // cnn6: conv1 1→16 k3 s2 p1 (⌊(28 + 2 − 3)/2⌋ + 1 = 14; 16·14·14 = 3,136) → LeakyRelu(0.2)
    // → conv2 16→32 s2 p1 (⌊(14 + 2 − 3)/2⌋ + 1 = 7; 32·7·7 = 1,568) → LeakyRelu → conv3..conv6 32→32 s1 p1 (7)
    // → LeakyRelu after each → Flatten 1,568 → fc 1568→10.
    // Parameters: conv1 16·9 + 16 = 160; conv2 32·16·9 + 32 = 4,640; conv3..6 4·(32·32·9 + 32 = 9,248) = 36,992;
    // fc 15,680 + 10 = 15,690; total 57,482. No Relu at all, so the head has no ReLU layer (d_1 undefined).
    private static readonly ModelSpec Cnn6 = new(
        57_482,
        [
            Conv("conv1", 1, 16, 3, 14), Leaky(16, 14, 14), Conv("conv2", 16, 32, 3, 7), Leaky(32, 7, 7),
            Conv("conv3", 32, 32, 3, 7), Leaky(32, 7, 7), Conv("conv4", 32, 32, 3, 7), Leaky(32, 7, 7),
            Conv("conv5", 32, 32, 3, 7), Leaky(32, 7, 7), Conv("conv6", 32, 32, 3, 7), Leaky(32, 7, 7),
            Flatten(1568), Fc("fc", 1568, 10),
        ],
        [
            new("conv1", 1, 16, 3, 2, 1, 28, 14), new("conv2", 16, 32, 3, 2, 1, 14, 7), new("conv3", 32, 32, 3, 1, 1, 7, 7),
            new("conv4", 32, 32, 3, 1, 1, 7, 7), new("conv5", 32, 32, 3, 1, 1, 7, 7), new("conv6", 32, 32, 3, 1, 1, 7, 7),
        ],
        [],
        1568, ["fc"], [1568, 10], [], null,
        // compression 784/3136 = 0.25, 784/1568 = 0.5
        [
            S(0, 3136, 0.25), S(1, 3136, 0.25), S(2, 1568, 0.5), S(3, 1568, 0.5), S(4, 1568, 0.5), S(5, 1568, 0.5), S(6, 1568, 0.5),
            S(7, 1568, 0.5), S(8, 1568, 0.5), S(9, 1568, 0.5), S(10, 1568, 0.5), S(11, 1568, 0.5), S(12, 1568, 0.5),
        ]);

    // splitnet: conv1 1→16 k3 p1 (28; 16·28·28 = 12,544) → Relu → conv2 16→16 → Relu → MaxPool 2 (16·14·14 = 3,136)
    // → conv3 16→32 (32·14·14 = 6,272) → Relu → conv4 32→32 → Relu → MaxPool 2 (32·7·7 = 1,568) → Flatten 1,568
    // → fc1 1568→128 → Relu → fc2 128→10.
    // Parameters: conv1 160; conv2 16·16·9 + 16 = 2,320; conv3 32·16·9 + 32 = 4,640; conv4 9,248;
    // fc1 1568·128 + 128 = 200,832; fc2 1,280 + 10 = 1,290; total 218,490.
    private static readonly ModelSpec SplitNet = new(
        218_490,
        [
            Conv("conv1", 1, 16, 3, 28), Relu(16, 28, 28), Conv("conv2", 16, 16, 3, 28), Relu(16, 28, 28), Pool(16, 14, 14),
            Conv("conv3", 16, 32, 3, 14), Relu(32, 14, 14), Conv("conv4", 32, 32, 3, 14), Relu(32, 14, 14), Pool(32, 7, 7),
            Flatten(1568), Fc("fc1", 1568, 128), Relu(128), Fc("fc2", 128, 10),
        ],
        [
            new("conv1", 1, 16, 3, 1, 1, 28, 28), new("conv2", 16, 16, 3, 1, 1, 28, 28),
            new("conv3", 16, 32, 3, 1, 1, 14, 14), new("conv4", 32, 32, 3, 1, 1, 14, 14),
        ],
        [12544, 12544, 6272, 6272, 128],
        1568, ["fc1", "fc2"], [1568, 128, 10], [128], 128,
        // compression 784/12544 = 0.0625, 784/3136 = 0.25, 784/6272 = 0.125, 784/1568 = 0.5, 784/128 = 6.125
        [
            S(0, 12544, 0.0625), S(1, 12544, 0.0625), S(2, 12544, 0.0625), S(3, 12544, 0.0625), S(4, 3136, 0.25),
            S(5, 6272, 0.125), S(6, 6272, 0.125), S(7, 6272, 0.125), S(8, 6272, 0.125), S(9, 1568, 0.5),
            S(10, 1568, 0.5), S(11, 128, 6.125), S(12, 128, 6.125),
        ]);

    public static readonly IReadOnlyDictionary<string, ModelSpec> Models = new Dictionary<string, ModelSpec>
    {
        ["fcn-512"] = Fcn512,
        ["fcn-512-init"] = Fcn512,
        ["fcn-deep"] = FcnDeep,
        ["lenet5"] = LeNet5,
        ["cnn6"] = Cnn6,
        ["splitnet"] = SplitNet,
    };
}
