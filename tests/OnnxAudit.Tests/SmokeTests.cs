namespace OnnxAudit.Tests;

public class SmokeTests
{
    [Fact]
    public void ProtoTypes_Exist() => Assert.NotNull(new OnnxAudit.Onnx.Proto.ModelProto());
}
