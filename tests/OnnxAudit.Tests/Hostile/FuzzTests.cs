using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using Google.Protobuf;
using OnnxAudit.Data;
using OnnxAudit.Errors;
using OnnxAudit.Onnx;
using OnnxAudit.Tests.TestUtil;
using Onnx;
using Xunit.Abstractions;

namespace OnnxAudit.Tests.Hostile;

/// <summary>
/// Seeded, in-process fuzzing of the importer and the data readers: mutated model bytes, structurally hostile models
/// (huge/negative dims, external data anywhere, sparse tensors, deep subgraphs, long chains) and mutated IDX / NPY /
/// gzip files. Every case must end in success or an <see cref="OnnxAuditException"/> whose message is one line with a
/// fix clause, within 2 s and 256 MB of allocation. Minimal reproducers of past failures live in corpus/ and are replayed.
/// </summary>
public sealed class FuzzTests(ITestOutputHelper output)
{
    private const int Seed = 15;
    private const int ModelByteCases = 1000;
    private const int StructuralCases = 400;
    private const int DataCases = 800;

    private sealed class Tally : FuzzTally
    {
        public readonly Dictionary<string, TimeSpan> Time = [];

        public void Run(string category, string name, Action action, Func<byte[]>? reproducer = null)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            var clock = Stopwatch.StartNew();
            var outcome = 0;
            try
            {
                action();
                outcome = 2;
            }
            catch (OnnxAuditException ex)
            {
                outcome = 1;
                var m = ex.Message;
                if (m.Contains('\n', StringComparison.Ordinal) || !m.Contains("; ", StringComparison.Ordinal))
                    Failures.Add($"{category}/{name}: message is not one line with a fix: {m[..Math.Min(m.Length, 300)]}");
            }
            catch (Exception ex)
            {
                Failures.Add($"{category}/{name}: internal error {ex.GetType().Name}: {ex.Message[..Math.Min(ex.Message.Length, 300)]}");
                if (reproducer is not null && Environment.GetEnvironmentVariable("ONNX_AUDIT_FUZZ_SAVE") is { } dir)
                    File.WriteAllBytes(Path.Combine(dir, $"{category}-{name}.bin"), reproducer());
            }
            clock.Stop();
            Time[category] = Time.GetValueOrDefault(category) + clock.Elapsed;
            Record(category, name, outcome, clock.Elapsed, GC.GetAllocatedBytesForCurrentThread() - before, action);
        }
    }

    [Fact]
    public void Fuzz_2200Cases_EndInSuccessOrOneLineError_WithinTimeAndMemory()
    {
        var rng = new Random(Seed);
        var dir = RepoPaths.NewTempDir();
        File.WriteAllBytes(Path.Combine(dir, "data.bin"), new byte[64]);
        var tally = new Tally();
        var clock = Stopwatch.StartNew();

        var seeds = new[] { OnnxWireFormat.ToBytes(HostileModels.TinyConv()), OnnxWireFormat.ToBytes(HostileModels.SparseInitializer()), OnnxWireFormat.ToBytes(HostileModels.Chain(3, "Relu")) };
        for (var i = 0; i < ModelByteCases; i++)
        {
            var bytes = MutateBytes(seeds[i % seeds.Length], rng);
            tally.Run("model-bytes", i.ToString(CultureInfo.InvariantCulture), () => Analyze(OnnxModelReader.FromBytes(bytes, "fuzz.onnx", dir)), () => bytes);
        }
        // why: serialising a 10,001-node chain is the slow part of a case; build the above-limit chain once.
        var bigChain = OnnxWireFormat.ToBytes(HostileModels.Chain(ModelLimits.MaxNodes + 1));
        for (var i = 0; i < StructuralCases; i++)
        {
            var model = MutateStructure(rng, i);
            var bytes = model is null ? bigChain : OnnxWireFormat.ToBytes(model);
            tally.Run("model-structure", i.ToString(CultureInfo.InvariantCulture), () =>
            {
                var m = OnnxModelReader.FromBytes(bytes, "fuzz.onnx", dir);
                GraphIndex.TopologicalOrder(m.Graph, m.Origin);
                Analyze(m);
            }, () => bytes);
        }
        var idx = IdxSeed();
        var npy = NpySeed(dir);
        for (var i = 0; i < DataCases; i++)
        {
            var kind = i % 4;
            var name = i.ToString(CultureInfo.InvariantCulture);
            var file = kind switch
            {
                0 => MutateBytes(idx, rng),
                1 => Gzip(MutateBytes(idx, rng)),
                2 => MutateBytes(npy, rng),
                _ => MutateNpyHeader(npy, rng),
            };
            var path = Path.Combine(dir, kind < 2 ? $"f{i}-images-idx3-ubyte{(kind == 1 ? ".gz" : "")}" : $"f{i}.npy");
            File.WriteAllBytes(path, file);
            tally.Run(kind < 2 ? "data-idx" : "data-npy", name, () => DatasetLoader.Load(path), () => file);
            File.Delete(path);
        }
        var corpus = Path.Combine(RepoPaths.Root, "tests", "OnnxAudit.Tests", "Hostile", "corpus");
        foreach (var f in Directory.GetFiles(corpus).Order(StringComparer.Ordinal))
        {
            var bytes = File.ReadAllBytes(f);
            var name = Path.GetFileName(f);
            if (name.EndsWith(".onnx", StringComparison.Ordinal))
                tally.Run("corpus", name, () => OnnxModelReader.FromBytes(bytes, name, dir));
            else if (name.EndsWith(".labels.npy", StringComparison.Ordinal))
                tally.Run("corpus", name, () => NpyReader.Read(f));
            else if (name.EndsWith(".npy", StringComparison.Ordinal) || name.Contains("idx", StringComparison.Ordinal))
                tally.Run("corpus", name, () => DatasetLoader.Load(f));
        }
        clock.Stop();

        var total = tally.ByCategory.Values.Sum(v => v.Cases);
        foreach (var (cat, (cases, clean, accepted)) in tally.ByCategory.OrderBy(p => p.Key, StringComparer.Ordinal))
            output.WriteLine($"{cat}: {cases} cases, {clean} clean errors, {accepted} accepted, {cases - clean - accepted} failures, {tally.Time[cat].TotalSeconds:0.0} s");
        output.WriteLine($"total {total} cases in {clock.Elapsed.TotalSeconds:0.0} s; slowest case {tally.MaxTime.TotalMilliseconds:0} ms; most allocated by one case {tally.MaxAllocated >> 20} MB; peak working set {Process.GetCurrentProcess().PeakWorkingSet64 >> 20} MB");
        Assert.True(total >= 2000, $"only {total} cases");
        Assert.True(tally.Failures.Count == 0, string.Join("\n", tally.Failures.Take(20)));
    }

    /// <summary>What `inspect` does after loading: measure shapes with ONNX Runtime and analyse the graph (so a limit
    /// the importer misses shows up here as a hang, an allocation or an internal error).</summary>
    private static void Analyze(OnnxModel model) =>
        OnnxAudit.Runtime.ModelAnalysis.Analyze(model, new OnnxAudit.Graph.GraphAnalysisOptions { BatchSize = 1 }, new OnnxAudit.Runtime.RuntimeOptions(OnnxAudit.Runtime.ExecutionDevice.Cpu, 1));

    /// <summary>The minimal reproducers of issue 15's failure classes, built by code (the generator) and committed under
    /// corpus/ so the fuzz test replays them; set ONNX_AUDIT_WRITE_CORPUS=1 to rewrite them after changing a builder.</summary>
    internal static IEnumerable<(string Name, byte[] Bytes)> Reproducers()
    {
        yield return ("sparse-constant-external-cwd.onnx", OnnxWireFormat.ToBytes(HostileModels.SparseConstant("secret.bin")));
        yield return ("sparse-initializer.onnx", OnnxWireFormat.ToBytes(HostileModels.SparseInitializer()));
        var wide = HostileModels.Chain(1, "Relu", 1, 1, 100_000, 100_000);
        wide.Graph.Input[0].Type.TensorType.Shape.Dim[0] = new TensorShapeProto.Types.Dimension { DimParam = "batch" };
        yield return ("input-dims-100000x100000.onnx", OnnxWireFormat.ToBytes(wide));
        yield return ("input-dims-2pow40.onnx", OnnxWireFormat.ToBytes(HostileModels.Chain(1, "Relu", 1, 1, 1L << 40, 1)));
        var init = HostileModels.TinyConv();
        init.Graph.Initializer[0].Dims[0] = 1L << 40;
        yield return ("initializer-dims-2pow40.onnx", OnnxWireFormat.ToBytes(init));
        var outside = HostileModels.TinyConv();
        outside.Graph.Initializer[0].DataLocation = TensorProto.Types.DataLocation.External;
        outside.Graph.Initializer[0].ExternalData.Add(new StringStringEntryProto { Key = "location", Value = "../../../../etc/passwd" });
        yield return ("external-data-outside-folder.onnx", OnnxWireFormat.ToBytes(outside));
        var sparseBad = HostileModels.SparseInitializer();
        sparseBad.Graph.SparseInitializer[0].Indices = TensorData.FromInt64s("", [2], [1, 1L << 40]);
        yield return ("sparse-initializer-index-out-of-range.onnx", OnnxWireFormat.ToBytes(sparseBad));
        var header = "{'descr': '|u1', 'fortran_order': False, 'shape': (1\n\u001b[31m" + new string('x', 300) + "), }";
        var hb = System.Text.Encoding.Latin1.GetBytes(header);
        yield return ("npy-control-characters-in-header.npy", [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0, .. BitConverter.GetBytes((ushort)hb.Length), .. hb]);
        yield return ("labels-2pow40.labels.npy", NpyBytes(w => NpyWriter.Write(w, new long[] { 0, 1L << 40 }, [2])));
        yield return ("zero-images-idx3-ubyte", [0, 0, 8, 3, 0, 0, 0, 0, 0, 0, 0, 28, 0, 0, 0, 28]);
    }

    private static byte[] NpyBytes(Action<string> write)
    {
        var path = Path.Combine(RepoPaths.NewTempDir(), "a.npy");
        write(path);
        return File.ReadAllBytes(path);
    }

    [Fact]
    public void Corpus_MatchesItsGenerator()
    {
        var corpus = Path.Combine(RepoPaths.Root, "tests", "OnnxAudit.Tests", "Hostile", "corpus");
        var write = Environment.GetEnvironmentVariable("ONNX_AUDIT_WRITE_CORPUS") is not null;
        foreach (var (name, bytes) in Reproducers())
        {
            var path = Path.Combine(corpus, name);
            if (write) File.WriteAllBytes(path, bytes);
            Assert.True(File.Exists(path), $"{name} is missing from the corpus; run the tests with ONNX_AUDIT_WRITE_CORPUS=1");
            Assert.Equal(bytes, File.ReadAllBytes(path));
            Assert.True(bytes.Length < 64 * 1024, $"{name} is {bytes.Length} bytes; corpus files stay small");
        }
    }

    private static byte[] MutateBytes(byte[] seed, Random rng)
    {
        var b = new List<byte>(seed);
        var edits = rng.Next(1, 6);
        for (var e = 0; e < edits && b.Count > 0; e++)
        {
            var at = rng.Next(b.Count);
            switch (rng.Next(7))
            {
                case 0: b[at] ^= (byte)(1 << rng.Next(8)); break;
                case 1: b[at] = (byte)rng.Next(256); break;
                case 2: b.RemoveRange(at, b.Count - at); break;
                case 3: b.Insert(at, (byte)rng.Next(256)); break;
                case 4: b.RemoveAt(at); break;
                case 5: b[at] = 0xFF; if (at + 1 < b.Count) b[at + 1] = 0xFF; break; // huge varints
                default: { var src = rng.Next(b.Count); b.InsertRange(at, b.GetRange(src, Math.Min(16, b.Count - src))); break; }
            }
        }
        return [.. b];
    }

    private static readonly string[] Locations = ["data.bin", "secret.bin", "../data.bin", "/etc/passwd", "sub/../data.bin", "C:\\x", "\0", "", "."];

    private static ModelProto? MutateStructure(Random rng, int i)
    {
        var m = HostileModels.TinyConv();
        var g = m.Graph;
        switch (i % 10)
        {
            case 0: // huge or negative declared input dims
                g.Input[0].Type.TensorType.Shape.Dim[rng.Next(4)].DimValue = rng.Next(3) switch { 0 => -1, 1 => 1L << rng.Next(20, 62), _ => rng.Next(0, 100_000) };
                break;
            case 1: // initializer dims that disagree with raw_data or overflow
                g.Initializer[rng.Next(4)].Dims[0] = rng.Next(2) == 0 ? 1L << rng.Next(20, 62) : -rng.Next(1, 5);
                break;
            case 2: // external data on an initializer, anywhere
            case 3: // external data on a Constant value / sparse_value
                {
                    var t = i % 10 == 2 ? g.Initializer[rng.Next(4)] : ConstantTensor(g, rng);
                    t.DataLocation = TensorProto.Types.DataLocation.External;
                    t.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = Locations[rng.Next(Locations.Length)] });
                    if (rng.Next(2) == 0) t.ExternalData.Add(new StringStringEntryProto { Key = "offset", Value = rng.Next(-5, 200).ToString(CultureInfo.InvariantCulture) });
                    if (rng.Next(2) == 0) t.ExternalData.Add(new StringStringEntryProto { Key = "length", Value = rng.Next(-5, 200).ToString(CultureInfo.InvariantCulture) });
                    break;
                }
            case 4: // sparse initializer with random indices and dims
                {
                    var sp = new SparseTensorProto { Values = TensorData.FromFloats("S", [3], [1f, 2f, 3f]), Indices = TensorData.FromInt64s("", [3], [rng.Next(-2, 10), rng.Next(-2, 10), rng.NextInt64(-2, 1L << 40)]) };
                    sp.Dims.Add(rng.Next(2) == 0 ? rng.Next(-1, 12) : 1L << rng.Next(20, 62));
                    if (rng.Next(3) == 0) sp.Values.DataType = rng.Next(1, 17);
                    g.SparseInitializer.Add(sp);
                    break;
                }
            case 5: // nested subgraphs
                {
                    var inner = HostileModels.Chain(1).Graph;
                    for (var d = rng.Next(1, 14); d > 0; d--)
                    {
                        var wrap = HostileModels.Chain(1).Graph;
                        var n = new NodeProto { OpType = "If", Name = $"if{d}", Input = { "t0" }, Output = { $"o{d}" } };
                        n.Attribute.Add(new AttributeProto { Name = "then_branch", Type = AttributeProto.Types.AttributeType.Graph, G = inner });
                        wrap.Node.Add(n);
                        inner = wrap;
                    }
                    var top = new NodeProto { OpType = "If", Name = "top", Input = { "x" }, Output = { "z" } };
                    top.Attribute.Add(new AttributeProto { Name = "then_branch", Type = AttributeProto.Types.AttributeType.Graph, G = inner });
                    g.Node.Add(top);
                    break;
                }
            case 6: // long chains and cycles
                {
                    if (rng.Next(25) == 0) return null; // the above-limit chain
                    var chain = HostileModels.Chain(rng.Next(1, 60));
                    if (rng.Next(3) == 0) chain.Graph.Node[0].Input[0] = chain.Graph.Node[^1].Output[0]; // cycle
                    return chain;
                }
            case 7: // dangling and duplicate names
                g.Node[rng.Next(g.Node.Count)].Input[0] = rng.Next(2) == 0 ? "missing" : "y";
                if (rng.Next(2) == 0) g.Node.Add(g.Node[0].Clone());
                break;
            case 8: // wrong types and raw_data lengths
                {
                    var t = g.Initializer[rng.Next(4)];
                    if (rng.Next(2) == 0) t.DataType = rng.Next(0, 30);
                    else t.RawData = ByteString.CopyFrom(new byte[rng.Next(0, 64)]);
                    break;
                }
            default: // random element types on inputs, no outputs, no opset
                if (rng.Next(3) == 0) g.Output.Clear();
                else if (rng.Next(2) == 0) m.OpsetImport.Clear();
                else g.Input[0].Type.TensorType.ElemType = rng.Next(0, 30);
                break;
        }
        return m;
    }

    private static TensorProto ConstantTensor(GraphProto g, Random rng)
    {
        var node = new NodeProto { OpType = "Constant", Name = "k", Output = { "k_out" } };
        var t = TensorData.FromFloats("k_value", [2], [1f, 2f]);
        if (rng.Next(2) == 0)
        {
            var sp = new SparseTensorProto { Values = t, Indices = TensorData.FromInt64s("", [2], [0, 1]) };
            sp.Dims.Add(4);
            node.Attribute.Add(new AttributeProto { Name = "sparse_value", Type = AttributeProto.Types.AttributeType.SparseTensor, SparseTensor = sp });
        }
        else
        {
            node.Attribute.Add(new AttributeProto { Name = "value", Type = AttributeProto.Types.AttributeType.Tensor, T = t });
        }
        g.Node.Insert(0, node);
        return t;
    }

    private static byte[] IdxSeed()
    {
        var b = new List<byte> { 0, 0, 8, 3, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 0, 4 };
        b.AddRange(Enumerable.Range(0, 48).Select(i => (byte)(i * 5)));
        return [.. b];
    }

    private static byte[] NpySeed(string dir)
    {
        var path = Path.Combine(dir, "seed.npy");
        NpyWriter.Write(path, Enumerable.Range(0, 3 * 16).Select(i => (byte)i).ToArray(), [3, 1, 4, 4]);
        return File.ReadAllBytes(path);
    }

    private static readonly string[] HeaderEdits = ["(3, 1, 4, 4)", "(1099511627776, 1, 4, 4)", "(-1, 4)", "(3,1,4,4,4,4,4,4,4,4)", "()", "(3, 1, 4, 4L)", "(99999999999999999999,)", "'\u001b[31m'\n\n"];

    private static byte[] MutateNpyHeader(byte[] seed, Random rng)
    {
        var text = System.Text.Encoding.Latin1.GetString(seed, 10, BitConverter.ToUInt16(seed, 8));
        text = rng.Next(3) switch
        {
            0 => text.Replace("(3, 1, 4, 4)", HeaderEdits[rng.Next(HeaderEdits.Length)], StringComparison.Ordinal),
            1 => text.Replace("|u1", new[] { "<f4", ">f8", "<c8", "O", "|b1", "<U4", "" }[rng.Next(7)], StringComparison.Ordinal),
            _ => text.Replace("False", new[] { "True", "0", "" }[rng.Next(3)], StringComparison.Ordinal),
        };
        var hb = System.Text.Encoding.Latin1.GetBytes(text);
        return [.. seed[..8], .. BitConverter.GetBytes((ushort)hb.Length), .. hb, .. seed[(10 + BitConverter.ToUInt16(seed, 8))..]];
    }

    private static byte[] Gzip(byte[] data)
    {
        using var ms = new MemoryStream();
        using (var gz = new GZipStream(ms, CompressionLevel.Fastest)) gz.Write(data);
        return ms.ToArray();
    }
}
