using System.Text.Json.Nodes;
using OnnxAudit.Audits;
using OnnxAudit.Data;
using OnnxAudit.Onnx;
using OnnxAudit.Pipeline;
using OnnxAudit.Tests.TestUtil;

namespace OnnxAudit.Tests.Cli;

/// <summary>Issue 11 acceptance: JPEG image folders with resize + normalisation folded into the graph, class maps and
/// the mismatch warning, flat-input models in every verb, report --config, init, and the bad-input cases.</summary>
public sealed class DataCliTests : IDisposable
{
    private readonly string _dir = RepoPaths.NewTempDir();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string NormNet => RepoPaths.Model("normnet64");
    private static string Jpegs => Path.Combine(RepoPaths.Samples, "fashion-mnist-jpeg");
    private static string ClassesFile => Path.Combine(RepoPaths.Samples, "fashion-mnist-jpeg.classes.txt");
    private static string Idx => Path.Combine(RepoPaths.Samples, "fashion-mnist-test-2000-images-idx3-ubyte.gz");

    private static AccuracyResult Accuracy(string data, Preprocessing pre)
    {
        var (model, analysis) = AuditPipeline.LoadModel(NormNet, OnnxAudit.Runtime.RuntimeOptions.Default, pre);
        var dataset = AuditPipeline.LoadData(data, analysis, NormNet, pre, model);
        using var context = new AuditContext(model, analysis, dataset);
        return context.Accuracy();
    }

    private static Preprocessing NormNetPre(string? classes) => Preprocessing.From(64, null, null, "imagenet", null, null, classes);

    // Reference: models/eval_normnet_torchvision.py (torchvision ImageFolder → Resize(64) → ToTensor → Normalize) wrote
    // models/normnet64-reference.json; tolerance 0.5 % (one image of 200).
    [Fact]
    public void NormNet_JpegFolderResizeNormalize_AccuracyMatchesTorchvisionWithinHalfPercent()
    {
        var reference = JsonNode.Parse(File.ReadAllText(Path.Combine(RepoPaths.Models, "normnet64-reference.json")))!;
        var acc = Accuracy(Jpegs, NormNetPre(ClassesFile));
        Assert.Equal(reference["images"]!.GetValue<int>(), acc.Total);
        Assert.True(Math.Abs(acc.Accuracy - reference["accuracy"]!.GetValue<double>()) <= 0.005,
            $"onnx-audit {acc.Accuracy:P2} vs torchvision {reference["accuracy"]}");
        // without the normalisation the same model is far off: the prefix is what makes it right
        Assert.True(Accuracy(Jpegs, Preprocessing.From(64, null, null, null, null, null, ClassesFile)).Accuracy < acc.Accuracy - 0.1);
    }

    [Fact]
    public void ClassNamedFoldersWithClasses_SameAccuracyAsNumberedFolders()
    {
        var numbered = Path.Combine(_dir, "numbered");
        var names = File.ReadAllLines(ClassesFile).Where(l => l.Length > 0).ToArray();
        for (var k = 0; k < names.Length; k++)
        {
            var d = Directory.CreateDirectory(Path.Combine(numbered, k.ToString(System.Globalization.CultureInfo.InvariantCulture))).FullName;
            foreach (var f in Directory.GetFiles(Path.Combine(Jpegs, names[k]))) File.Copy(f, Path.Combine(d, Path.GetFileName(f)));
        }
        var byNumber = Accuracy(numbered, NormNetPre(null));
        var byName = Accuracy(Jpegs, NormNetPre(ClassesFile));
        Assert.Equal(byNumber, byName);
        Assert.True(byName.Accuracy > 0.8);
    }

    [Fact]
    public void ClassNamedFoldersWithoutClasses_WarnsInConsoleAndMarksEveryVerdict()
    {
        var config = Path.Combine(_dir, "c.yaml");
        File.WriteAllText(config, "threats: []\n");
        var outDir = Path.Combine(_dir, "out");
        var r = CliRunner.Run(["report", NormNet, "--data", Jpegs, "--resize", "64", "--normalize", "imagenet", "--config", config, "-o", outDir, "--formats", "json,html"]);
        Assert.True(r.ExitCode is 0 or 1, r.Stderr);
        Assert.Contains("warning:", r.Stdout + r.Stderr, StringComparison.Ordinal);
        Assert.Contains("--classes", r.Stdout + r.Stderr, StringComparison.Ordinal);
        var json = File.ReadAllText(Path.Combine(outDir, "report.json"));
        var html = File.ReadAllText(Path.Combine(outDir, "report.html"));
        Assert.Contains(AuditPipeline.MismatchMark, html, StringComparison.Ordinal);
        var summary = JsonNode.Parse(json)!.AsObject().Select(p => p.Value).OfType<JsonArray>().First(a => a.ToJsonString().Contains("Federated", StringComparison.Ordinal));
        Assert.Equal(3, summary.Count);
        Assert.All(summary, v => Assert.Contains(AuditPipeline.MismatchMark, v!.ToJsonString(), StringComparison.Ordinal));
    }

    private string FlatMlp()
    {
        // fcn-512 with its Flatten removed and the input declared [batch, 784]
        var model = OnnxModel.Load(RepoPaths.Model("fcn-512")).Clone();
        var g = model.Graph;
        var flatten = g.Node.Single(n => n.OpType == "Flatten");
        g.Node.Remove(flatten);
        foreach (var n in g.Node)
            for (var i = 0; i < n.Input.Count; i++)
                if (n.Input[i] == flatten.Output[0]) n.Input[i] = flatten.Input[0];
        var dims = g.Input[0].Type.TensorType.Shape.Dim;
        while (dims.Count > 2) dims.RemoveAt(2);
        dims[1].DimValue = 784;
        var path = Path.Combine(_dir, "flat.onnx");
        File.WriteAllBytes(path, model.ToBytes());
        return path;
    }

    [Fact]
    public void FlatInputMlp_RunsEveryVerbAndReport_AndConfigReproducesTheReport()
    {
        var flat = FlatMlp();
        Assert.Equal(0, CliRunner.Run(["inspect", flat]).ExitCode);
        Assert.True(CliRunner.Run(["exclusivity", flat, "--data", Idx, "--batches", "5"]).ExitCode is 0 or 1);
        Assert.True(CliRunner.Run(["attack", "gradient", flat, "--data", Idx, "-o", Path.Combine(_dir, "atk"), "--batches", "1"]).ExitCode is 0 or 1);
        Assert.Equal(0, CliRunner.Run(["rconv", flat, "--data", Idx]).ExitCode);
        Assert.Equal(0, CliRunner.Run(["harden", flat, "--exclusivity-reduction", "-o", Path.Combine(_dir, "h.onnx")]).ExitCode);
        var split = CliRunner.Run(["split", flat, "--data", Idx, "--at", "/relu1/Relu_output_0", "--attacks", "whitebox", "--iterations", "20", "-n", "2"]);
        Assert.True(split.ExitCode is 0 or 1, split.Stderr);

        var a = Path.Combine(_dir, "a");
        var byFlags = CliRunner.Run(["report", flat, "--data", Idx, "-o", a, "--quick", "--seed", "3", "--splits", "/relu1/Relu_output_0", "--formats", "json"]);
        Assert.True(byFlags.ExitCode is 0 or 1, byFlags.Stderr);
        var config = Path.Combine(_dir, "onnx-audit.yaml");
        File.WriteAllText(config, $"""
            model: {flat}
            data: {Idx}
            output: {a}
            budgets:
              quick: true
              splits: [/relu1/Relu_output_0]
            seed: 3
            formats: json
            """);
        var first = Comparable(File.ReadAllText(Path.Combine(a, "report.json")));
        var byConfig = CliRunner.Run(["report", "--config", config]);
        Assert.True(byConfig.ExitCode == byFlags.ExitCode, byConfig.Stderr);
        var second = Comparable(File.ReadAllText(Path.Combine(a, "report.json")));
        Assert.Equal(first, second);
        Assert.Contains("Federated gradient leakage", first, StringComparison.Ordinal);
        Assert.Contains("Effective config", first, StringComparison.Ordinal);
    }

    // why: timing and the literal command line differ between the two runs by construction; everything else must not.
    private static string Comparable(string json)
    {
        var node = JsonNode.Parse(json)!.AsObject();
        node.Remove("timing");
        var text = node.ToJsonString();
        return System.Text.RegularExpressions.Regex.Replace(text, "\"onnx-audit report[^\"]*\"", "\"<command line>\"");
    }

    [Fact]
    public void Init_WritesAStarterConfigThatReportAccepts()
    {
        var path = Path.Combine(_dir, "onnx-audit.yaml");
        var r = CliRunner.Run(["init", NormNet, "--data", Jpegs, "-o", path]);
        Assert.Equal(0, r.ExitCode);
        var text = File.ReadAllText(path);
        Assert.Contains("normalize:", text, StringComparison.Ordinal);
        Assert.Contains("[batch, 3, 64, 64]", text, StringComparison.Ordinal);
        Assert.Equal(2, CliRunner.Run(["init", NormNet, "-o", path]).ExitCode); // exists, no --force
        _ = AuditConfigProbe(path);
    }

    private static OnnxAudit.Cli.AuditConfig AuditConfigProbe(string path) => OnnxAudit.Cli.AuditConfig.Load(path);

    // ---- bad input: exit 2, one error line naming the file and the fix, nothing written

    private void AssertBadInput(string[] args, string namePart, params string[] parts)
    {
        var outDir = Path.Combine(_dir, "out-bad");
        var r = CliRunner.Run([.. args, "-o", outDir]);
        Assert.True(r.ExitCode == 2, $"exit {r.ExitCode}: {r.Stderr}");
        var error = Assert.Single(r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => l.StartsWith("error: ", StringComparison.Ordinal));
        Assert.Contains(namePart, error, StringComparison.Ordinal);
        foreach (var p in parts) Assert.Contains(p, error, StringComparison.OrdinalIgnoreCase);
        Assert.False(Directory.Exists(outDir) && Directory.EnumerateFileSystemEntries(outDir).Any(), "output was written");
    }

    private string Folder(string name, params (string Class, string File, byte[] Bytes)[] files)
    {
        var root = Path.Combine(_dir, name);
        foreach (var (c, f, b) in files)
        {
            Directory.CreateDirectory(Path.Combine(root, c));
            File.WriteAllBytes(Path.Combine(root, c, f), b);
        }
        return root;
    }

    private static byte[] Jpeg(string cls, int i = 0) => File.ReadAllBytes(Directory.GetFiles(Path.Combine(Jpegs, cls)).Order(StringComparer.Ordinal).ElementAt(i));

    private static byte[] Png(int w, int h)
    {
        using var bmp = new SkiaSharp.SKBitmap(w, h, SkiaSharp.SKColorType.Gray8, SkiaSharp.SKAlphaType.Opaque);
        using var data = bmp.Encode(SkiaSharp.SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    [Fact]
    public void CorruptImage_Exit2NamingTheFile()
    {
        var bad = Jpeg("Bag")[..200];
        var root = Folder("corrupt", ("Bag", "a.jpg", Jpeg("Bag")), ("Coat", "broken.jpg", bad));
        AssertBadInput(["report", NormNet, "--data", root, "--resize", "64"], "broken.jpg", "truncated");
    }

    [Fact]
    public void MixedSizesWithoutResize_Exit2NamingTwoFilesAndTheFix()
    {
        var root = Folder("mixed", ("a", "1.png", Png(28, 28)), ("b", "2.png", Png(30, 28)));
        AssertBadInput(["report", RepoPaths.Model("lenet5"), "--data", root], "2.png", "1.png", "--resize");
    }

    [Fact]
    public void DecompressionBomb_RefusedBeforeDecoding()
    {
        // a PNG whose header declares 20000×20000 (400 M pixels) but holds almost nothing
        var png = Png(1, 1);
        var ihdr = png.AsSpan(16, 8);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(ihdr, 20000);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(ihdr[4..], 20000);
        var crc = Crc32(png.AsSpan(12, 17));
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(png.AsSpan(29, 4), crc);
        var root = Folder("bomb", ("a", "bomb.png", png));
        AssertBadInput(["report", RepoPaths.Model("lenet5"), "--data", root], "bomb.png", "20000×20000", "limit");
    }

    // PNG chunk CRC (ISO 3309, polynomial 0xEDB88320)
    private static uint Crc32(ReadOnlySpan<byte> bytes)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in bytes)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++) crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
        }
        return ~crc;
    }

    [Fact]
    public void NestedFolder_Exit2()
    {
        var root = Folder("nested", ("a", "1.png", Png(28, 28)), (Path.Combine("b", "inner"), "2.png", Png(28, 28)));
        AssertBadInput(["report", RepoPaths.Model("lenet5"), "--data", root], "inner", "nested", "one level");
    }

    [Fact]
    public void NonImageFiles_AreSkippedAndCounted()
    {
        var root = Folder("skip", ("a", "1.png", Png(28, 28)), ("a", "notes.txt", "hello"u8.ToArray()), ("b", "2.png", Png(28, 28)));
        var d = DatasetLoader.Load(root);
        Assert.Equal((2, 1), (d.N, d.SkippedFiles));
    }

    [Fact]
    public void UnknownPreset_Exit2() =>
        AssertBadInput(["report", NormNet, "--data", Jpegs, "--normalize", "imagenett"], "--normalize imagenett", "imagenet");

    [Fact]
    public void MeanWithoutStd_Exit2() =>
        AssertBadInput(["report", NormNet, "--data", Jpegs, "--mean", "0.5"], "--mean", "--std");

    [Fact]
    public void FolderMissingFromClassesFile_Exit2()
    {
        var classes = Path.Combine(_dir, "classes.txt");
        File.WriteAllText(classes, "Bag\n");
        AssertBadInput(["report", NormNet, "--data", Jpegs, "--resize", "64", "--classes", classes], "Ankle_boot", "classes.txt", "rename");
    }

    [Fact]
    public void ConfigWithUnknownKey_Exit2()
    {
        var config = Path.Combine(_dir, "bad.yaml");
        File.WriteAllText(config, "model: x.onnx\nresise: 64\n");
        AssertBadInput(["report", "--config", config], "bad.yaml", "line 2");
    }

    [Fact]
    public void CropLargerThanImage_Exit2() =>
        AssertBadInput(["report", NormNet, "--data", Jpegs, "--center-crop", "64"], "--center-crop", "--resize");
}
