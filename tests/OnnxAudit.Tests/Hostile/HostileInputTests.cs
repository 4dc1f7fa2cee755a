using System.IO.Compression;
using OnnxAudit.Common;
using OnnxAudit.Data;
using OnnxAudit.Errors;
using OnnxAudit.Onnx;
using OnnxAudit.Tests.Cli;
using OnnxAudit.Tests.TestUtil;
using Onnx;

namespace OnnxAudit.Tests.Hostile;

/// <summary>Tests that change process-wide state (the current directory, the memory limit) run alone.</summary>
[CollectionDefinition(nameof(ProcessStateCollection), DisableParallelization = true)]
public sealed class ProcessStateCollection;

/// <summary>Regression tests for the reproducer classes of issue 15: each ends in exit 2 / an OnnxAuditException with
/// one line naming the file or option and the fix, and nothing is written.</summary>
[Collection(nameof(ProcessStateCollection))]
public sealed class HostileInputTests
{
    private static void AssertOneLineWithFix(string message, params string[] parts)
    {
        Assert.DoesNotContain('\n', message.TrimEnd());
        Assert.Contains("; ", message, StringComparison.Ordinal);
        foreach (var p in parts) Assert.Contains(p, message, StringComparison.Ordinal);
    }

    [Fact]
    public void SparseConstant_ExternalDataInCwd_IsNeverRead_Exit2NamingTensor()
    {
        var modelDir = RepoPaths.NewTempDir();
        var cwd = RepoPaths.NewTempDir();
        var secret = Path.Combine(cwd, "secret.bin");
        File.WriteAllBytes(secret, new byte[40]);
        File.SetLastAccessTimeUtc(secret, new DateTime(2001, 1, 1, 0, 0, 0, DateTimeKind.Utc));
        var model = HostileModels.Write(modelDir, "leak.onnx", HostileModels.SparseConstant("secret.bin"));
        var saved = Environment.CurrentDirectory;
        try
        {
            Environment.CurrentDirectory = cwd;
            var r = CliRunner.Run("inspect", model);
            Assert.Equal(2, r.ExitCode);
            AssertOneLineWithFix(r.Stderr, "leak.onnx", "secret_values", "secret.bin", "not found", Path.Combine(modelDir, "secret.bin"));
            // The importer refused the model, so ONNX Runtime (which would resolve the location against the CWD) never saw it.
            var ex = Assert.Throws<ModelLoadException>(() => OnnxModel.Load(model));
            Assert.Contains("secret_values", ex.Message, StringComparison.Ordinal);
        }
        finally
        {
            Environment.CurrentDirectory = saved;
        }
        Assert.Equal(new DateTime(2001, 1, 1, 0, 0, 0, DateTimeKind.Utc), File.GetLastAccessTimeUtc(secret));
    }

    [Fact]
    public void SparseConstant_ExternalDataInModelFolder_IsInlined()
    {
        var dir = RepoPaths.NewTempDir();
        File.WriteAllBytes(Path.Combine(dir, "v.bin"), [.. BitConverter.GetBytes(2f), .. BitConverter.GetBytes(3f)]);
        var m = OnnxModel.Load(HostileModels.Write(dir, "m.onnx", HostileModels.SparseConstant("v.bin")));
        var values = m.Graph.Node[0].Attribute[0].SparseTensor.Values;
        Assert.NotEqual(TensorProto.Types.DataLocation.External, values.DataLocation);
        Assert.Equal([2f, 3f], TensorData.ToFloats(values));
    }

    [Fact]
    public void SparseInitializer_IsDensified()
    {
        var dir = RepoPaths.NewTempDir();
        var m = OnnxModel.Load(HostileModels.Write(dir, "s.onnx", HostileModels.SparseInitializer()));
        Assert.Single(m.Graph.SparseInitializer);
        SparseInitializers.Densify(m.Proto, m.Origin);
        Assert.Empty(m.Graph.SparseInitializer);
        Assert.Equal([0f, 5f, 0f, 7f], TensorData.ToFloats(m.FindInitializer("B")!));
    }

    [Theory]
    [InlineData(100_000L, 100_000L)]
    [InlineData(1L << 40, 1L)]
    [InlineData(20_000L, 20_000L)]
    public void HugeDeclaredInput_IsRefusedBeforeAllocating(long h, long w)
    {
        var dir = RepoPaths.NewTempDir();
        var g = HostileModels.Chain(1, "Relu", 1, 1, h, w);
        g.Graph.Input[0].Type.TensorType.Shape.Dim[0] = new TensorShapeProto.Types.Dimension { DimParam = "batch" };
        var path = HostileModels.Write(dir, "huge.onnx", g);
        var ex = Assert.Throws<ModelLoadException>(() => OnnxModel.Load(path));
        AssertOneLineWithFix(ex.Message, "huge.onnx", "'t0'", "elements per sample", "re-export");
    }

    [Fact]
    public void IdentityChain_AboveNodeLimit_IsRefusedQuickly()
    {
        var dir = RepoPaths.NewTempDir();
        var path = HostileModels.Write(dir, "chain.onnx", HostileModels.Chain(20_000));
        var ex = Assert.Throws<ModelLoadException>(() => OnnxModel.Load(path));
        AssertOneLineWithFix(ex.Message, "chain.onnx", "10,000 nodes", "onnxsim");
    }

    [Fact]
    public void SecondInput_And_Uint8Input_And_Loop_GetClearMessages()
    {
        var dir = RepoPaths.NewTempDir();
        var two = HostileModels.Chain(1);
        two.Graph.Input.Add(OnnxAudit.Tests.Onnx.TestModels.FloatValue("extra", 1, 4));
        var twoModel = OnnxModel.Load(HostileModels.Write(dir, "two.onnx", two));
        var tex = Assert.Throws<ModelLoadException>(() => new OnnxAudit.Runtime.ModelSession(twoModel));
        AssertOneLineWithFix(tex.Message, "two.onnx", "2 data inputs", "'extra'");

        // a uint8 input read by a Cast to float is supported (IssueRestTests); read by anything else it is refused
        var u8 = HostileModels.Chain(1, "Relu");
        u8.Graph.Input[0].Type.TensorType.ElemType = (int)TensorProto.Types.DataType.Uint8;
        var r = CliRunner.Run("inspect", HostileModels.Write(dir, "u8.onnx", u8));
        Assert.Equal(2, r.ExitCode);
        AssertOneLineWithFix(r.Stderr, "u8.onnx", "uint8", "'n0' (Relu)", "float32");

        var loop = HostileModels.Chain(1);
        var body = HostileModels.Chain(1).Graph;
        var node = new NodeProto { OpType = "Loop", Name = "forever", Input = { "", "" }, Output = { "unused" } };
        node.Attribute.Add(new AttributeProto { Name = "body", Type = AttributeProto.Types.AttributeType.Graph, G = body });
        loop.Graph.Node.Add(node);
        r = CliRunner.Run("inspect", HostileModels.Write(dir, "loop.onnx", loop));
        Assert.Equal(2, r.ExitCode);
        AssertOneLineWithFix(r.Stderr, "loop.onnx", "Loop", "without control flow");
    }

    [Fact]
    public void SpecialFiles_AsModelOrData_AreRefusedBeforeOpening()
    {
        var ex = Assert.Throws<DataFormatException>(() => DatasetLoader.Load("/dev/zero"));
        AssertOneLineWithFix(ex.Message, "/dev/zero", "character device");
        var dir = RepoPaths.NewTempDir();
        var fifo = Path.Combine(dir, "model.onnx");
        using (var p = System.Diagnostics.Process.Start("mkfifo", [fifo])) p.WaitForExit();
        Assert.Equal(FileKind.Kind.Fifo, FileKind.Of(fifo));
        var mex = Assert.Throws<ModelLoadException>(() => OnnxModel.Load(fifo));
        AssertOneLineWithFix(mex.Message, "model.onnx", "FIFO");
    }

    [Fact]
    public void GzipBomb_IsRefusedAtTheMemoryLimit()
    {
        var dir = RepoPaths.NewTempDir();
        var path = Path.Combine(dir, "bomb-images-idx3-ubyte.gz");
        using (var fs = File.Create(path))
        using (var gz = new GZipStream(fs, CompressionLevel.Fastest))
        {
            gz.Write([0, 0, 8, 3, 0, 0x0f, 0x42, 0x40, 0, 0, 0, 28, 0, 0, 0, 28]); // 1,000,000 images of 28×28
            var zeros = new byte[1 << 20];
            for (var i = 0; i < 24; i++) gz.Write(zeros);
        }
        MemoryBudget.Override(8L << 20);
        try
        {
            var ex = Assert.Throws<DataFormatException>(() => DatasetLoader.Load(path));
            AssertOneLineWithFix(ex.Message, "bomb-images", "decompresses to more than 8 MB", MemoryBudget.Variable);
            var npy = Path.Combine(dir, "big.npy");
            NpyWriter.Write(npy, new float[3 << 20], [3, 1, 1024, 1024]);
            var nex = Assert.Throws<DataFormatException>(() => NpyReader.Read(npy));
            AssertOneLineWithFix(nex.Message, "big.npy", "memory limit of 8 MB", "smaller subset");
        }
        finally
        {
            MemoryBudget.Override(null);
        }
    }

    [Fact]
    public void OutputPaths_AreValidatedUpFront()
    {
        var dir = RepoPaths.NewTempDir();
        var file = Path.Combine(dir, "file.txt");
        File.WriteAllText(file, "x");
        var loop = Path.Combine(dir, "loop");
        File.CreateSymbolicLink(loop, loop);
        foreach (var (path, problem) in new[] { (Path.Combine(file, "out"), "is a file, not a folder"), ("/proc/onnx-audit-out", "under /proc"), ("/sys/x", "under /sys"), ("", "is empty"), (Path.Combine(loop, "out"), "cannot be resolved") })
        {
            var ex = Assert.Throws<OnnxAuditException>(() => OutputPath.CheckFolder(path, "-o"));
            AssertOneLineWithFix(ex.Message, "-o", problem);
        }
        var r = CliRunner.Run("report", RepoPaths.Model("lenet5"), "-o", Path.Combine(file, "out"), "--quick");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("is a file, not a folder", r.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Harden_OutputEqualToInput_IsRefused_AndNothingIsWritten()
    {
        var dir = RepoPaths.NewTempDir();
        var model = Path.Combine(dir, "m.onnx");
        File.Copy(RepoPaths.Model("fcn-512"), model);
        var before = File.ReadAllBytes(model);
        var r = CliRunner.Run("harden", model, "--exclusivity-reduction", "-o", model);
        Assert.Equal(2, r.ExitCode);
        AssertOneLineWithFix(r.Stderr, "-o", "overwrite the input");
        Assert.Equal(before, File.ReadAllBytes(model));
        Assert.Single(Directory.GetFiles(dir));
    }

    [Theory]
    [InlineData("-3")]
    [InlineData("100000")]
    public void Threads_OutsideCoreCount_IsRefused(string threads)
    {
        var r = CliRunner.Run("inspect", RepoPaths.Model("lenet5"), "--threads", threads);
        Assert.Equal(2, r.ExitCode);
        AssertOneLineWithFix(r.Stderr, $"--threads {threads}", "cores");
    }

    [Fact]
    public void Indices_WithEmptyEntry_AndEmptySplitPoint_AreRefused()
    {
        var ex = Assert.Throws<OnnxAuditException>(() => OnnxAudit.Cli.Commands.GradientCommand.ChooseIndices("1,,2", 8, 1, 10));
        AssertOneLineWithFix(ex.Message, "--indices 1,,2", "empty");
        var r = CliRunner.Run("split", RepoPaths.Model("lenet5"), "-d", Path.Combine(RepoPaths.Samples, "fashion-mnist-test-2000-images-idx3-ubyte.gz"), "--at", "");
        Assert.Equal(2, r.ExitCode);
        AssertOneLineWithFix(r.Stderr, "''", "empty", "inspect");
    }

    [Fact]
    public void Labels_OutOfRange_AreRefused()
    {
        var dir = RepoPaths.NewTempDir();
        var images = Path.Combine(dir, "x.npy");
        NpyWriter.Write(images, new float[2 * 28 * 28], [2, 1, 28, 28]);
        NpyWriter.Write(Path.Combine(dir, "x.labels.npy"), new long[] { 0, 1L << 40 }, [2]);
        var outDir = Path.Combine(dir, "out");
        var r = CliRunner.Run("gradient", RepoPaths.Model("lenet5"), "-d", images, "-o", outDir);
        Assert.Equal(2, r.ExitCode);
        AssertOneLineWithFix(r.Stderr, "x.labels.npy", "label 1 is 1099511627776", "10 outputs");
        Assert.False(Directory.Exists(outDir));
    }

    [Fact]
    public void NpyHeader_RandomBytes_AreEscapedAndTruncated()
    {
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': (1\n\n\u001b[31m" + new string('x', 2000) + "), }";
        var bytes = new List<byte> { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0 };
        var hb = System.Text.Encoding.Latin1.GetBytes(header);
        bytes.AddRange(BitConverter.GetBytes((ushort)hb.Length));
        bytes.AddRange(hb);
        var ex = Assert.Throws<DataFormatException>(() => NpyReader.Parse(bytes.ToArray(), "h.npy"));
        AssertOneLineWithFix(ex.Message, "h.npy");
        Assert.DoesNotContain('\u001b', ex.Message);
        Assert.True(ex.Message.Length < 400, ex.Message);
    }

    [Fact]
    public void NonFiniteLoss_IsWrittenAsNullWithReason()
    {
        var dir = Path.Combine(RepoPaths.NewTempDir(), "g");
        var result = new OnnxAudit.Autodiff.FederatedGradientResult(float.NaN, [new OnnxAudit.Autodiff.ParameterGradient("w", [2], [1f, float.PositiveInfinity])]);
        OnnxAudit.Autodiff.GradientExport.WriteNpy(dir, result, [0], [1]);
        var json = File.ReadAllText(Path.Combine(dir, "batch.json"));
        Assert.Contains("\"loss\": null", json, StringComparison.Ordinal);
        Assert.Contains("non-finite", json, StringComparison.Ordinal);
    }
}
