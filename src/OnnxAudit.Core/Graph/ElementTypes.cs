namespace OnnxAudit.Graph;

/// <summary>ONNX TensorProto.DataType codes and their lower-case names.</summary>
internal static class ElementTypes
{
    private static readonly string[] Names =
        ["", "float", "uint8", "int8", "uint16", "int16", "int32", "int64", "string", "bool", "float16", "double", "uint32", "uint64", "complex64", "complex128", "bfloat16"];

    public static string Name(int code) => code >= 0 && code < Names.Length ? Names[code] : $"type{code}";

    /// <summary>True for floating-point element types (float, double, float16, bfloat16, complex): trainable parameters.</summary>
    public static bool IsFloating(int code) => code is 1 or 10 or 11 or 14 or 15 or 16 or (>= 17 and <= 20);
}
