using OnnxAudit.Autodiff;
using OnnxAudit.Common;
using OnnxAudit.Errors;
using OnnxAudit.Onnx;
using OnnxAudit.Tests.Cli;
using OnnxAudit.Tests.TestUtil;
using Onnx;

namespace OnnxAudit.Tests.Hostile;

/// <summary>Issue 15, second part: --max-memory, huge intermediates, uint8 + Cast inputs, a fixed batch dimension and
/// the non-finite warning.</summary>
public sealed class IssueRestTests
{
    private static string Images => Path.Combine(RepoPaths.Samples, "fashion-mnist-test-2000-images-idx3-ubyte.gz");

    private static void AssertOneLineWithFix(string message, params string[] parts)
    {
        Assert.DoesNotContain('\n', message.TrimEnd());
        Assert.Contains("; ", message, StringComparison.Ordinal);
        foreach (var p in parts) Assert.Contains(p, message, StringComparison.Ordinal);
    }

    /// <summary>x [1, 4] → Expand/Tile/ConstantOfShape node 'blowup' to 128 MB of float → ReduceSum → y [1, 1].</summary>
    private static ModelProto Blowup(string op)
    {
        var g = new GraphProto { Name = "blowup" };
        g.Input.Add(Onnx.TestModels.FloatValue("x", 1, 4));
        g.Output.Add(Onnx.TestModels.FloatValue("y", 1, 1));
        var node = new NodeProto { OpType = op, Name = "blowup", Output = { "big" } };
        switch (op)
        {
            case "Expand":
                g.Initializer.Add(TensorData.FromInt64s("shape", [4], [1, 128, 65536, 4]));
                node.Input.Add("x");
                node.Input.Add("shape");
                break;
            case "Tile":
                g.Initializer.Add(TensorData.FromInt64s("reps", [2], [1, 1L << 23]));
                node.Input.Add("x");
                node.Input.Add("reps");
                break;
            default:
                g.Initializer.Add(TensorData.FromInt64s("shape", [2], [1, 1L << 25]));
                node.Input.Add("shape");
                break;
        }
        g.Node.Add(node);
        var sum = new NodeProto { OpType = "ReduceSum", Name = "sum", Input = { "big" }, Output = { "y0" } };
        sum.Attribute.Add(new AttributeProto { Name = "keepdims", Type = AttributeProto.Types.AttributeType.Int, I = 0 });
        g.Node.Add(sum);
        g.Initializer.Add(TensorData.FromInt64s("one", [2], [1, 1]));
        g.Node.Add(new NodeProto { OpType = "Reshape", Name = "r", Input = { "y0", "one" }, Output = { "y" } });
        return HostileModels.Model(g);
    }

    [Theory]
    [InlineData("Expand")]
    [InlineData("Tile")]
    [InlineData("ConstantOfShape")]
    public void HugeIntermediate_IsRefusedBeforeOnnxRuntime_NamingNodeAndSize(string op)
    {
        var model = OnnxModel.FromProto(Blowup(op), "blowup.onnx");
        using (MemoryBudget.Scope(64L << 20))
        {
            var ex = Assert.Throws<ModelLoadException>(() => StaticShapeSource.Analyze(model));
            AssertOneLineWithFix(ex.Message, "blowup.onnx", $"node 'blowup' ({op})", "128 MB", "memory limit of 64 MB", "--max-memory");
        }
        // below the limit the same model is analysed (statically, nothing is allocated)
        using (MemoryBudget.Scope(1L << 30)) Assert.NotNull(StaticShapeSource.Analyze(model));
    }

    [Fact]
    public void MaxMemory_IsValidated_AndUsedByTheLimits()
    {
        var r = CliRunner.Run("inspect", RepoPaths.Model("lenet5"), "--max-memory", "lots");
        Assert.Equal(2, r.ExitCode);
        AssertOneLineWithFix(r.Stderr, "--max-memory lots", "not a size", "e.g. --max-memory");
        r = CliRunner.Run("inspect", RepoPaths.Model("lenet5"), "--max-memory", "1K");
        Assert.Equal(2, r.ExitCode);
        AssertOneLineWithFix(r.Stderr, "--max-memory 1K", "must be between 64 MB and");
        Assert.Equal(0, CliRunner.Run("inspect", RepoPaths.Model("lenet5"), "--max-memory", "128M").ExitCode);

        var dir = RepoPaths.NewTempDir();
        var path = HostileModels.Write(dir, "blowup.onnx", Blowup("Expand"));
        r = CliRunner.Run("inspect", path, "--max-memory", "64M");
        Assert.Equal(2, r.ExitCode);
        AssertOneLineWithFix(r.Stderr, "blowup.onnx", "'blowup' (Expand)", "memory limit of 64 MB");
        Assert.Equal(0, CliRunner.Run("inspect", path, "--max-memory", "1G").ExitCode);
    }

    [Fact]
    public void MaxMemory_EnvironmentVariable_IsValidatedToo()
    {
        Assert.Equal(100L << 20, MemoryBudget.Parse("100M", MemoryBudget.Variable + "="));
        var ex = Assert.Throws<OnnxAuditException>(() => MemoryBudget.Parse("12.5G", MemoryBudget.Variable + "="));
        AssertOneLineWithFix(ex.Message, "ONNX_AUDIT_MAX_MEMORY=12.5G", "not a size", "e.g. ONNX_AUDIT_MAX_MEMORY=");
    }

    /// <summary>fcn-512 edited: the input declared uint8 and read by Cast(float) → Div(255), the former input's consumer
    /// reading the Div.</summary>
    private static string ByteInputFcn(string dir)
    {
        var m = OnnxModel.Load(RepoPaths.Model("fcn-512")).Proto.Clone();
        var g = m.Graph;
        var input = g.Input[0].Name;
        g.Input[0].Type.TensorType.ElemType = (int)TensorProto.Types.DataType.Uint8;
        foreach (var n in g.Node)
            for (var i = 0; i < n.Input.Count; i++) if (n.Input[i] == input) n.Input[i] = "scaled";
        var cast = new NodeProto { OpType = "Cast", Name = "cast_bytes", Input = { input }, Output = { "as_float" } };
        cast.Attribute.Add(new AttributeProto { Name = "to", Type = AttributeProto.Types.AttributeType.Int, I = 1 });
        g.Initializer.Add(TensorData.FromFloats("c255", [], [255f]));
        g.Node.Insert(0, new NodeProto { OpType = "Div", Name = "div255", Input = { "as_float", "c255" }, Output = { "scaled" } });
        g.Node.Insert(0, cast);
        return HostileModels.Write(dir, "bytes.onnx", m);
    }

    private static string Loss(string dir) => File.ReadAllText(Path.Combine(dir, "loss.txt")).Trim();

    [Fact]
    public void Uint8InputWithCast_IsAudited_AsTheFloatModel()
    {
        var dir = RepoPaths.NewTempDir();
        var bytes = ByteInputFcn(dir);
        var a = Path.Combine(dir, "a");
        var b = Path.Combine(dir, "b");
        var r = CliRunner.Run("gradient", bytes, "--data", Images, "--indices", "0,1,2", "-o", a);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal(0, CliRunner.Run("gradient", RepoPaths.Model("fcn-512"), "--data", Images, "--indices", "0,1,2", "-o", b).ExitCode);
        // the same loss (pixels ×255 then ÷255 inside the model) and the tool's own scale constant is no parameter
        Assert.Equal(float.Parse(Loss(b), System.Globalization.CultureInfo.InvariantCulture), float.Parse(Loss(a), System.Globalization.CultureInfo.InvariantCulture), 5);
        Assert.False(File.Exists(Path.Combine(a, "onnx_audit.preprocess_255.npy")));
        Assert.True(File.Exists(Path.Combine(a, "fc1.weight.npy")));
        r = CliRunner.Run("inspect", bytes);
        Assert.True(r.ExitCode == 0, r.Stderr);
    }

    [Fact]
    public void FixedBatchDimension_IsRelaxed_WhenTheGraphFollowsTheBatch()
    {
        var dir = RepoPaths.NewTempDir();
        var m = OnnxModel.Load(RepoPaths.Model("fcn-512")).Proto.Clone();
        m.Graph.Input[0].Type.TensorType.Shape.Dim[0] = new TensorShapeProto.Types.Dimension { DimValue = 14 };
        var fixedPath = HostileModels.Write(dir, "fixed14.onnx", m);
        var a = Path.Combine(dir, "a");
        var b = Path.Combine(dir, "b");
        // the default batch of 8 ≠ 14: formerly "Got invalid dimensions for input" from ONNX Runtime (exit 2)
        var r = CliRunner.Run("gradient", fixedPath, "--data", Images, "-o", a);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal(0, CliRunner.Run("gradient", RepoPaths.Model("fcn-512"), "--data", Images, "-o", b).ExitCode);
        Assert.Equal(Loss(b), Loss(a));

        // a graph that bakes the size in (Reshape to [14, 784]) is left as it is
        var baked = OnnxModel.Load(RepoPaths.Model("fcn-512")).Proto.Clone();
        baked.Graph.Input[0].Type.TensorType.Shape.Dim[0] = new TensorShapeProto.Types.Dimension { DimValue = 14 };
        var flat = baked.Graph.Node.First(n => n.OpType == "Flatten");
        flat.OpType = "Reshape";
        flat.Attribute.Clear();
        flat.Input.Add("fixed_shape");
        baked.Graph.Initializer.Add(TensorData.FromInt64s("fixed_shape", [2], [14, 784]));
        var model = OnnxModel.FromProto(baked, "baked.onnx");
        Assert.Same(model, StaticShapeSource.RelaxFixedBatch(model));
    }

    [Fact]
    public void NonFiniteLoss_IsStatedInTheCommandsVerdictLine()
    {
        var dir = RepoPaths.NewTempDir();
        var m = OnnxModel.Load(RepoPaths.Model("fcn-512")).Proto.Clone();
        var bias = m.Graph.Initializer.First(t => t.Name == "fc2.bias");
        var idx = m.Graph.Initializer.IndexOf(bias);
        m.Graph.Initializer[idx] = TensorData.FromFloats("fc2.bias", [10], Enumerable.Repeat(float.NaN, 10).ToArray());
        var path = HostileModels.Write(dir, "nan.onnx", m);
        var r = CliRunner.Run("gradient", path, "--data", Images, "--indices", "0,1", "-o", Path.Combine(dir, "g"));
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("warning: the model produced non-finite values: loss NaN", r.Stdout, StringComparison.Ordinal);
        Assert.Contains("check the weights for NaN/Inf", r.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void OnnxRuntimeErrors_NameTheNode_AndKeepTheSizes()
    {
        var run = "[ErrorCode:RuntimeException] Non-zero status code returned while running Reshape node. Name:'/flatten/Flatten' Status Message: /onnxruntime_src/onnxruntime/core/providers/cpu/tensor/reshape_helper.h:47 onnxruntime::ReshapeHelper::ReshapeHelper(const onnxruntime::TensorShape&, onnxruntime::TensorShapeVector&, bool) input_shape_size == requested_shape_size was false. The input tensor cannot be reshaped to the requested shape. Input shape:{8,1,28,28}, requested shape:{14,784}\n";
        var text = OnnxAudit.Runtime.SessionFactory.Explain(run);
        Assert.StartsWith("at node '/flatten/Flatten' (Reshape): ", text, StringComparison.Ordinal);
        Assert.Contains("requested shape:{14,784}", text, StringComparison.Ordinal);
        Assert.DoesNotContain("onnxruntime_src", text, StringComparison.Ordinal);
        var dims = "[ErrorCode:InvalidArgument] Got invalid dimensions for input: input for the following indices\n index: 0 Got: 8 Expected: 14\n Please fix either the inputs/outputs or the model.";
        Assert.Equal("Got invalid dimensions for input: input for the following indices index: 0 Got: 8 Expected: 14 Please fix either the inputs/outputs or the model", OnnxAudit.Runtime.SessionFactory.Explain(dims));
        var generated = OnnxAudit.Runtime.SessionFactory.Explain("[ErrorCode:Fail] Node (ad_Gemm__ad34) Op (Gemm) [ShapeInferenceError] Dimension mismatch in unification between 10 and 512");
        Assert.StartsWith("at a Gemm node onnx-audit added to the model ('ad_Gemm__ad34'", generated, StringComparison.Ordinal);
        Assert.EndsWith("[ShapeInferenceError] Dimension mismatch in unification between 10 and 512", generated, StringComparison.Ordinal);
    }

    [Fact]
    public void RunFailure_InTheCli_NamesModelNodeAndSizes()
    {
        // the batch is free in the input but baked into a Reshape constant [14, 784]
        var dir = RepoPaths.NewTempDir();
        var m = OnnxModel.Load(RepoPaths.Model("fcn-512")).Proto.Clone();
        var flat = m.Graph.Node.First(n => n.OpType == "Flatten");
        flat.OpType = "Reshape";
        flat.Attribute.Clear();
        flat.Input.Add("fixed_shape");
        m.Graph.Initializer.Add(TensorData.FromInt64s("fixed_shape", [2], [14, 784]));
        var path = HostileModels.Write(dir, "baked.onnx", m);
        var outDir = Path.Combine(dir, "g");
        var r = CliRunner.Run("gradient", path, "--data", Images, "--indices", "0,1", "-o", outDir);
        Assert.Equal(2, r.ExitCode);
        AssertOneLineWithFix(r.Stderr, "baked.onnx", $"at node '{flat.Name}' (Reshape)", "{2,1,28,28}", "{14,784}");
        Assert.False(Directory.Exists(outDir) && Directory.EnumerateFileSystemEntries(outDir).Any());
    }
}
