using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using OnnxAudit.Audits.RConv;
using OnnxAudit.Data;
using OnnxAudit.Metrics;
using OnnxAudit.Onnx;

namespace OnnxAudit.Bench;

/// <summary>
/// Verb "rconv": OnnxAudit.Bench rconv &lt;fixture-dir&gt; &lt;name&gt; [repeats]
/// Reads a gradient fixture written by tests/reference/rconv_reference.py (&lt;name&gt;.json with the model path relative to
/// the working directory, .images.npy, .grads.npy: torch single-sample gradients), reconstructs every image with
/// <see cref="RConvReconstructor"/> (warm: one untimed reconstruction first; best of <c>repeats</c> per image) and prints one
/// line per image "image i seconds psnr methods" and a final line "ours &lt;name&gt; mean_seconds_per_image mean_psnr".
/// The same gradient values feed the PyTorch reference, so both sides solve the same systems.
/// </summary>
internal static class RConvBench
{
    public static void Run(string[] args)
    {
        var dir = args[0];
        var name = args[1];
        var repeats = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 1;
        using var meta = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, name + ".json")));
        var root = meta.RootElement;
        var model = OnnxModel.Load(root.GetProperty("model").GetString()!);
        var (img, shape) = NpyReader.ReadFloat32(Path.Combine(dir, name + ".images.npy"));
        var (grads, gshape) = NpyReader.ReadFloat32(Path.Combine(dir, name + ".grads.npy"));
        var size = (int)(shape[1] * shape[2] * shape[3]);
        var per = (int)gshape[1];
        var samples = new List<Dictionary<string, float[]>>();
        for (var i = 0; i < gshape[0]; i++)
        {
            var d = new Dictionary<string, float[]>(StringComparer.Ordinal);
            foreach (var e in root.GetProperty("index").EnumerateArray())
            {
                var key = e.GetProperty("name").GetString()!;
                if (key.StartsWith("dO:", StringComparison.Ordinal)) continue;
                var off = e.GetProperty("offset").GetInt32();
                var n = e.GetProperty("shape").EnumerateArray().Aggregate(1, (a, v) => a * v.GetInt32());
                d[key] = grads[((i * per) + off)..((i * per) + off + n)];
            }
            samples.Add(d);
        }

        var setup = Stopwatch.StartNew();
        var net = RConvNetwork.FromModel(model, [(int)shape[1], (int)shape[2], (int)shape[3]]);
        var rec = new RConvReconstructor(net, RConvOptions.Default);
        var setupSeconds = setup.Elapsed.TotalSeconds;
        rec.Reconstruct(samples[0]); // warm-up: JIT, weight conversion (cached per model)
        var times = new List<double>();
        var psnrs = new List<double>();
        var sw = new Stopwatch();
        for (var i = 0; i < samples.Count; i++)
        {
            RConvReconstruction r = null!;
            var best = double.MaxValue;
            for (var k = 0; k < repeats; k++)
            {
                sw.Restart();
                r = rec.Reconstruct(samples[i]);
                best = Math.Min(best, sw.Elapsed.TotalSeconds);
            }
            times.Add(best);
            var p = r.Succeeded ? ImageMetrics.Psnr(img.AsSpan(i * size, size), r.Image) : double.NaN;
            psnrs.Add(p);
            var methods = r.Succeeded
                ? string.Join("; ", r.Steps.Select(s => string.Create(CultureInfo.InvariantCulture, $"{s.Layer} {s.Method}{(s.Iterations > 0 ? $" it {s.Iterations}" : "")} {s.Seconds:F3}s")))
                : $"failed at {r.FailedLayer}: {r.FailureReason}";
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"image {i} {best:F4} {p:F1} {methods}"));
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"setup {setupSeconds:F4}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"ours {name} {times.Average():F4} {psnrs.Average():F1}"));
    }
}
