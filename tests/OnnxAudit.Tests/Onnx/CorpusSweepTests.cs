using Google.Protobuf;
using OnnxAudit.Errors;
using OnnxAudit.Onnx;
using Onnx;
using OnnxAudit.Tests.TestUtil;

namespace OnnxAudit.Tests.Onnx;

/// <summary>
/// Sweeps every model.onnx of Debian's libonnx-testdata (node, pytorch-converted, pytorch-operator,
/// simple): each loads, and write → read gives an equal model (proto equality and byte equality of the
/// re-serialization).
/// </summary>
public sealed class CorpusSweepTests : IClassFixture<CorpusSweepTests.TempFolder>
{
    public const string CorpusRoot = "/usr/share/libonnx-testdata/data";
    private static readonly string[] Suites = ["node", "pytorch-converted", "pytorch-operator", "simple"];
    private const string MissingCase = "<libonnx-testdata is not installed>";

    /// <summary>Models the loader rejects on purpose, with the message part that must explain why.
    /// They are asserted (not skipped): the loader must keep rejecting them with that reason.</summary>
    public static readonly IReadOnlyDictionary<string, string> ExpectedRejections = new Dictionary<string, string>
    {
        // empty: every corpus model loads (constant-only graphs too; the graph analyzer, not the loader, rejects them).
    };

    public sealed class TempFolder : IDisposable
    {
        public string Path { get; } = RepoPaths.NewTempDir();
        public void Dispose() => Directory.Delete(Path, recursive: true);
    }

    private readonly string _tmp;

    public CorpusSweepTests(TempFolder tmp) => _tmp = tmp.Path;

    /// <summary>Relative model folders ("node/test_abs"), or one case that fails when the corpus is missing.</summary>
    public static TheoryData<string> CorpusModels()
    {
        var data = new TheoryData<string>();
        var found = FindCorpus();
        if (found.Count == 0) data.Add(MissingCase);
        foreach (var f in found) data.Add(f);
        return data;
    }

    private static List<string> FindCorpus() =>
        Suites
            .Select(s => Path.Combine(CorpusRoot, s))
            .Where(Directory.Exists)
            .SelectMany(d => Directory.EnumerateFiles(d, "model.onnx", SearchOption.AllDirectories))
            .Select(f => Path.GetRelativePath(CorpusRoot, Path.GetDirectoryName(f)!).Replace('\\', '/'))
            .Order(StringComparer.Ordinal)
            .ToList();

    private static string PathOf(string relative)
    {
        Assert.False(relative == MissingCase,
            $"no model.onnx under {CorpusRoot}/{{{string.Join(',', Suites)}}}: the corpus package is missing; install it with `apt-get install libonnx-testdata` (CI installs it).");
        return Path.Combine(CorpusRoot, relative, "model.onnx");
    }

    [Theory]
    [MemberData(nameof(CorpusModels))]
    public void Corpus_Model_LoadsAndRoundTripsEqual(string relative)
    {
        var path = PathOf(relative);
        if (ExpectedRejections.TryGetValue(relative, out var reason))
        {
            var ex = Assert.Throws<ModelLoadException>(() => OnnxModel.Load(path));
            Assert.Contains(reason, ex.Message, StringComparison.Ordinal);
            // the bytes themselves are still a model the protobuf layer round-trips
            var raw = File.ReadAllBytes(path);
            var parsed = OnnxModelReader.Parse(raw, path);
            Assert.Equal(parsed.ToByteArray(), ModelProto.Parser.ParseFrom(parsed.ToByteArray()).ToByteArray());
            return;
        }
        var model = OnnxModel.Load(path);
        Assert.NotEmpty(model.Graph.Node);
        Assert.True(model.DefaultOpset >= 1);
        var copy = Path.Combine(_tmp, relative.Replace('/', '_') + ".onnx");
        // same writer as OnnxModel.Save, without the per-file fsync (12 ms each here) to keep the sweep fast
        OnnxModelWriter.Write(model, copy, flushToDisk: false);
        var again = OnnxModel.Load(copy);
        Assert.Equal(model.Proto, again.Proto);
        Assert.Equal(model.ToBytes(), again.ToBytes());
        Assert.Equal(model.ToBytes(), File.ReadAllBytes(copy));
        // the written file is the original file, byte for byte (ONNX's proto2 encoding: defaults present on the wire,
        // packing, field order and unknown fields kept)
        Assert.True(File.ReadAllBytes(path).AsSpan().SequenceEqual(File.ReadAllBytes(copy)), $"{relative}: the written model differs from the original file");
        File.Delete(copy);
    }

    [Fact]
    public void Corpus_ExpectedRejections_AreInTheCorpus()
    {
        var all = FindCorpus().ToHashSet(StringComparer.Ordinal);
        Assert.All(ExpectedRejections.Keys, k => Assert.Contains(k, all));
    }

    [Fact]
    public void Corpus_TensorPbFiles_AreRejectedAsNotAModel()
    {
        // every test-data tensor (.pb, a serialized TensorProto / SequenceProto) is a valid protobuf that
        // is not a model: the loader must say so, never accept it or call it truncated
        var files = Suites.Select(s => Path.Combine(CorpusRoot, s)).Where(Directory.Exists)
            .SelectMany(d => Directory.EnumerateFiles(d, "*.pb", SearchOption.AllDirectories))
            .Order(StringComparer.Ordinal).ToList();
        Assert.True(files.Count > 0, $"no .pb files under {CorpusRoot}; install the corpus with `apt-get install libonnx-testdata` (CI installs it).");
        var wrong = new List<string>();
        foreach (var f in files)
        {
            try
            {
                OnnxModel.Load(f);
                wrong.Add($"{f}: loaded");
            }
            catch (ModelLoadException ex) when (!ex.Message.Contains("not an ONNX model", StringComparison.Ordinal))
            {
                wrong.Add(ex.Message);
            }
            catch (ModelLoadException)
            {
                // expected
            }
        }
        Assert.True(wrong.Count == 0, $"{wrong.Count} of {files.Count} .pb files misclassified, e.g. {string.Join(" | ", wrong.Take(5))}");
    }
}
