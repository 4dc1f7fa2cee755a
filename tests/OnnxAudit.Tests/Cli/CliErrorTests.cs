using Google.Protobuf;
using OnnxAudit.Onnx;
using Onnx;
using OnnxAudit.Tests.TestUtil;

namespace OnnxAudit.Tests.Cli;

/// <summary>Every malformed-input case through the real command line: one line on stderr naming the
/// file, the problem and the fix; exit code 2; no output files.</summary>
public sealed class CliErrorTests : IDisposable
{
    private readonly string _dir = RepoPaths.NewTempDir();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string Fcn => RepoPaths.Model("fcn-512");
    private static string Images => Path.Combine(RepoPaths.Samples, "fashion-mnist-test-2000-images-idx3-ubyte.gz");

    private string Write(string name, byte[] bytes)
    {
        var p = Path.Combine(_dir, name);
        File.WriteAllBytes(p, bytes);
        return p;
    }

    private void AssertBadInput(string[] args, string fileNamePart, params string[] messageParts)
    {
        var outDir = Path.Combine(_dir, "out");
        var r = CliRunner.Run([.. args, "-o", outDir]);
        Assert.True(r.ExitCode == 2, $"exit code {r.ExitCode}, stderr: {r.Stderr}");
        var lines = r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var error = Assert.Single(lines, l => l.StartsWith("error: ", StringComparison.Ordinal));
        Assert.Contains(fileNamePart, error, StringComparison.Ordinal);
        foreach (var part in messageParts) Assert.Contains(part, error, StringComparison.OrdinalIgnoreCase);
        Assert.False(Directory.Exists(outDir) && Directory.EnumerateFileSystemEntries(outDir).Any(), "output was written");
    }

    [Fact]
    public void Report_MissingModel_Exit2() =>
        AssertBadInput(["report", Path.Combine(_dir, "nope.onnx")], "nope.onnx", "not found", "check the path");

    [Fact]
    public void Report_ModelIsDirectory_Exit2() =>
        AssertBadInput(["report", _dir], Path.GetFileName(_dir), "is a directory", "pass the path of the .onnx file");

    [Fact]
    public void Report_EmptyModel_Exit2() =>
        AssertBadInput(["report", Write("empty.onnx", [])], "empty.onnx", "empty", "re-export");

    [Fact]
    public void Report_RandomBytes_Exit2()
    {
        var bytes = new byte[4096];
        new Random(7).NextBytes(bytes);
        AssertBadInput(["report", Write("random.onnx", bytes)], "random.onnx", "not", "onnx");
    }

    [Fact]
    public void Report_TruncatedModel_Exit2()
    {
        var bytes = File.ReadAllBytes(Fcn);
        AssertBadInput(["report", Write("truncated.onnx", bytes[..(bytes.Length / 2)])], "truncated.onnx", "truncated", "re-download or re-export");
    }

    [Fact]
    public void Report_ProtobufThatIsNotAModel_Exit2()
    {
        var tensor = TensorData.FromFloats("w", [2, 2], [1f, 2f, 3f, 4f]);
        AssertBadInput(["report", Write("tensor.onnx", tensor.ToByteArray())], "tensor.onnx", "not an ONNX model", "pass the .onnx model file");
    }

    [Fact]
    public void Report_ModelWithoutGraph_Exit2()
    {
        var m = new ModelProto { IrVersion = 8, ProducerName = "test" };
        m.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 17 });
        AssertBadInput(["report", Write("nograph.onnx", m.ToByteArray())], "nograph.onnx", "no graph", "re-export");
    }

    private string ModelWithExternalData(string location)
    {
        var model = OnnxModel.Load(Fcn).Proto.Clone();
        var bias = model.Graph.Initializer.First(t => t.Dims.Count == 1);
        bias.RawData = ByteString.Empty;
        bias.FloatData.Clear();
        bias.DataLocation = TensorProto.Types.DataLocation.External;
        bias.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = location });
        return Write("external.onnx", model.ToByteArray());
    }

    [Fact]
    public void Report_ExternalDataMissing_Exit2() =>
        AssertBadInput(["report", ModelWithExternalData("weights.bin")], "external.onnx", "weights.bin", "not found", "copy the data file next to the model");

    [Fact]
    public void Report_ExternalDataEscapingFolder_Exit2()
    {
        File.WriteAllBytes(Path.Combine(Path.GetDirectoryName(_dir)!, "escape.bin"), new byte[4096]);
        AssertBadInput(["report", ModelWithExternalData("../escape.bin")], "external.onnx", "outside the model folder", "without '..'");
    }

    [Fact]
    public void Report_ExternalDataAbsolutePath_Exit2() =>
        AssertBadInput(["report", ModelWithExternalData("/etc/passwd")], "external.onnx", "absolute path", "relative location");

    [Fact]
    public void Report_DataNotMatchingInputShape_Exit2()
    {
        // a 3×32×32 NHWC uint8 .npy (2 images): does not fit the 1×28×28 model
        var header = "{'descr': '|u1', 'fortran_order': False, 'shape': (2, 32, 32, 3), }";
        header = header.PadRight(64 - 10 - 1) + "\n";
        var bytes = new List<byte> { 0x93 };
        bytes.AddRange("NUMPY"u8.ToArray());
        bytes.AddRange([1, 0, (byte)header.Length, 0]);
        bytes.AddRange(System.Text.Encoding.ASCII.GetBytes(header));
        bytes.AddRange(new byte[2 * 32 * 32 * 3]);
        var data = Write("cifar.npy", [.. bytes]);
        AssertBadInput(["report", Fcn, "--data", data], "cifar.npy", "32", "28");
    }

    [Fact]
    public void Report_MissingDataFile_Exit2() =>
        AssertBadInput(["report", Fcn, "--data", Path.Combine(_dir, "none.idx3-ubyte")], "none.idx3-ubyte", "not found");

    [Fact]
    public void Report_UnknownOption_Exit2()
    {
        var r = CliRunner.Run("report", Fcn, "--no-such-option", "-o", Path.Combine(_dir, "o"));
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--no-such-option", r.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Report_CudaDevice_FailsWithClearMessage()
    {
        // this machine has no GPU: the GPU build (-p:OnnxRuntimePackage=Microsoft.ML.OnnxRuntime.Gpu) names the CUDA
        // library that is missing, the default CPU build says to use the GPU build; both exit 2 with one line
        string[] parts = OnnxAudit.Runtime.SessionFactory.IsGpuBuild
            ? ["CUDA execution provider", ".so", "cannot open shared object file", "LD_LIBRARY_PATH", "--device cpu"]
            : ["CPU-only ONNX Runtime", "-p:OnnxRuntimePackage=Microsoft.ML.OnnxRuntime.Gpu", "--device cpu"];
        AssertBadInput(["report", Fcn, "--device", "cuda"], "--device cuda", parts);
        var r = CliRunner.Run("report", Fcn, "--device", "cuda", "-o", Path.Combine(_dir, "cuda"));
        Assert.Single(r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public void CudaFailureMessage_GpuBuild_NamesMissingLibraryOnOneLine()
    {
        const string ort = "[ErrorCode:RuntimeException] /onnxruntime_src/onnxruntime/core/session/provider_bridge_ort.cc:1778 onnxruntime::Provider& onnxruntime::ProviderLibrary::Get() [ONNXRuntimeError] : 1 : FAIL : Failed to load library libonnxruntime_providers_cuda.so with error: libcublasLt.so.13: cannot open shared object file: No such file or directory\n";
        var m = OnnxAudit.Runtime.SessionFactory.CudaFailureMessage(ort, "Microsoft.ML.OnnxRuntime.Gpu");
        Assert.Contains("(libcublasLt.so.13: cannot open shared object file)", m, StringComparison.Ordinal);
        Assert.Contains("CUDA 13 and cuDNN 9", m, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', m);
    }

    [Fact]
    public void CudaFailureMessage_CpuBuild_SaysToUseTheGpuBuild()
    {
        var m = OnnxAudit.Runtime.SessionFactory.CudaFailureMessage("CUDA execution provider is not enabled in this build.", "Microsoft.ML.OnnxRuntime");
        Assert.Contains("CPU-only ONNX Runtime (Microsoft.ML.OnnxRuntime)", m, StringComparison.Ordinal);
        Assert.Contains("-p:OnnxRuntimePackage=Microsoft.ML.OnnxRuntime.Gpu", m, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', m);
    }

    [Fact]
    public void Inspect_TruncatedModel_Exit2()
    {
        var bytes = File.ReadAllBytes(Fcn);
        var r = CliRunner.Run("inspect", Write("cut.onnx", bytes[..1000]));
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("cut.onnx", r.Stderr, StringComparison.Ordinal);
        Assert.Contains("truncated", r.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Gradient_UnsupportedOperator_Exit2WithOpNodeAndSupportedList()
    {
        var model = OnnxModel.Load(Fcn).Proto.Clone();
        // replace the ReLU by an operator the gradient builder does not support
        var relu = model.Graph.Node.First(n => n.OpType == "Relu");
        relu.OpType = "Cos";
        var path = Write("cos.onnx", model.ToByteArray());
        var outDir = Path.Combine(_dir, "grad");
        var r = CliRunner.Run("gradient", path, "--data", Images, "--batch-size", "2", "-o", outDir);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("Cos", r.Stderr, StringComparison.Ordinal);
        Assert.Contains(relu.Name, r.Stderr, StringComparison.Ordinal);
        Assert.Contains("opset 17", r.Stderr, StringComparison.Ordinal);
        Assert.Contains("Gemm", r.Stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(outDir));
    }
}
