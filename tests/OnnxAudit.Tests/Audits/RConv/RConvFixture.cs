using System.Text.Json;
using OnnxAudit.Data;
using OnnxAudit.Onnx;
using OnnxAudit.Tests.TestUtil;

namespace OnnxAudit.Tests.Audits.RConv;

/// <summary>Gradients written by tests/reference/rconv_reference.py (torch autograd, single-sample cross-entropy).</summary>
internal sealed class RConvFixture
{
    public required OnnxModel Model { get; init; }
    public required float[] Images { get; init; }
    public required long[] ImageShape { get; init; }
    public required long[] Labels { get; init; }
    public required List<Dictionary<string, float[]>> Gradients { get; init; }
    public required double?[] ReferencePsnr { get; init; }

    public int ImageSize => (int)(ImageShape[1] * ImageShape[2] * ImageShape[3]);
    public float[] Image(int i) => Images[(i * ImageSize)..((i + 1) * ImageSize)];

    public static RConvFixture Load(string name)
    {
        var dir = Path.Combine(RepoPaths.Reference, "rconv");
        using var meta = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, name + ".json")));
        var root = meta.RootElement;
        var modelPath = Path.Combine(RepoPaths.Root, root.GetProperty("model").GetString()!);
        var (img, shape) = NpyReader.ReadFloat32(Path.Combine(dir, name + ".images.npy"));
        var (labels, _) = NpyReader.ReadInt64(Path.Combine(dir, name + ".labels.npy"));
        var (grads, gshape) = NpyReader.ReadFloat32(Path.Combine(dir, name + ".grads.npy"));
        var per = (int)gshape[1];
        var list = new List<Dictionary<string, float[]>>();
        for (var i = 0; i < gshape[0]; i++)
        {
            var d = new Dictionary<string, float[]>();
            foreach (var e in root.GetProperty("index").EnumerateArray())
            {
                var off = e.GetProperty("offset").GetInt32();
                var n = e.GetProperty("shape").EnumerateArray().Aggregate(1, (a, v) => a * v.GetInt32());
                d[e.GetProperty("name").GetString()!] = grads[((i * per) + off)..((i * per) + off + n)];
            }
            list.Add(d);
        }
        var psnr = root.GetProperty("reference_psnr_db").EnumerateArray().Select(v => v.ValueKind == JsonValueKind.Null ? (double?)null : v.GetDouble()).ToArray();
        return new RConvFixture { Model = OnnxModel.Load(modelPath), Images = img, ImageShape = shape, Labels = labels, Gradients = list, ReferencePsnr = psnr };
    }
}
