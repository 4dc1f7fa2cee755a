using Google.Protobuf;

namespace OnnxAudit.Onnx;

/// <summary>Writes ONNX files atomically. (Foundation version: to be hardened.)</summary>
internal static class OnnxModelWriter
{
    public static void Write(OnnxModel model, string path)
    {
        var full = Path.GetFullPath(path);
        var tmp = full + ".tmp-" + Environment.ProcessId;
        File.WriteAllBytes(tmp, model.Proto.ToByteArray());
        File.Move(tmp, full, overwrite: true);
    }
}
