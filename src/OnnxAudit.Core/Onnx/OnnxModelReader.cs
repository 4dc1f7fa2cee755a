using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using Google.Protobuf;
using OnnxAudit.Errors;
using Onnx;

namespace OnnxAudit.Onnx;

/// <summary>
/// Reads ONNX files: size and recursion limits, one-line <see cref="ModelLoadException"/> messages
/// (file, problem, fix) for every malformed input, and external data resolved relative to the model's
/// folder (never outside it) and inlined into raw_data.
/// </summary>
internal static class OnnxModelReader
{
    /// <summary>Largest model file protobuf can address (2 GiB − 1 bytes).</summary>
    internal const int SizeLimit = int.MaxValue;

    /// <summary>Nesting limit for messages (subgraphs of If/Loop/Scan count two levels each).</summary>
    internal const int RecursionLimit = 100;

    public static OnnxModel Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var folder = Path.GetDirectoryName(Path.GetFullPath(path)) ?? Path.GetFullPath(".");
        return WithModelFile(path, stream =>
        {
            MappedModelFile? mapped = null;
            try
            {
                mapped = MappedModelFile.Open(stream);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or NotSupportedException)
            {
                // why: some file systems cannot map files; reading the bytes is the fallback (peak memory twice the file).
            }
            if (mapped is null)
            {
                var bytes = new byte[stream.Length];
                stream.Position = 0;
                stream.ReadExactly(bytes);
                return FromBytes(bytes, path, folder);
            }
            using (mapped)
            {
                var hash = MappedModelFile.Hash(stream);
                var proto = Parse(mapped.Sequence(), mapped.Span, path);
                Validate(proto, mapped.Span, path);
                ModelLimits.Check(proto, path);
                ExternalData.Inline(proto, folder, path);
                return OnnxModel.Create(proto, path, Convert.ToHexStringLower(hash));
            }
        });
    }

    /// <summary>Imports model bytes as if read from <paramref name="path"/> in <paramref name="folder"/> (external data is
    /// resolved there): parse, validate, limits, external data, sparse initializers. Used by <see cref="Read"/> and the
    /// in-process fuzz test.</summary>
    internal static OnnxModel FromBytes(byte[] bytes, string path, string folder)
    {
        var proto = Parse(new ReadOnlySequence<byte>(bytes), bytes, path);
        Validate(proto, bytes, path);
        ModelLimits.Check(proto, path);
        ExternalData.Inline(proto, folder, path);
        return OnnxModel.Create(proto, path, Convert.ToHexStringLower(SHA256.HashData(bytes)));
    }

    /// <summary>Checks <paramref name="path"/> and runs <paramref name="read"/> on the open model file (non-empty, within
    /// the protobuf limit); I/O and permission errors become one-line <see cref="ModelLoadException"/>s.</summary>
    private static OnnxModel WithModelFile(string path, Func<FileStream, OnnxModel> read)
    {
        string full;
        try
        {
            full = Path.GetFullPath(path);
        }
        catch (Exception ex) when (ex is ArgumentException or NotSupportedException or PathTooLongException)
        {
            throw new ModelLoadException($"{path}: not a valid file path ({OneLine(ex.Message)}); pass the path of an .onnx file.", ex);
        }
        if (Directory.Exists(full))
            throw new ModelLoadException($"{path}: is a directory, not a model file; pass the path of the .onnx file inside it (e.g. {Path.Combine(path, "model.onnx")}).");
        if (!File.Exists(full))
            throw new ModelLoadException($"{path}: model file not found; check the path (relative paths start at {Environment.CurrentDirectory}).");
        if (Common.FileKind.Special(Common.FileKind.Of(full)) is { } special)
            throw new ModelLoadException($"{path}: is {special}, not a model file (reading it could block or never end); copy the model into a regular .onnx file and pass that.");
        try
        {
            using var stream = new FileStream(full, FileMode.Open, FileAccess.Read, FileShare.Read);
            var length = stream.Length;
            if (length == 0)
                throw new ModelLoadException($"{path}: file is empty (0 bytes), so it holds no model; re-export or re-download the model.");
            if (length > SizeLimit)
                throw new ModelLoadException($"{path}: file is {length} bytes, above the 2 GiB − 1 protobuf limit; re-export the model with its weights saved as external data (onnx.save_model(..., save_as_external_data=True)).");
            return read(stream);
        }
        catch (UnauthorizedAccessException ex)
        {
            throw new ModelLoadException($"{path}: permission denied reading the model file ({OneLine(ex.Message)}); check the file permissions (chmod +r) or copy the file somewhere readable.", ex);
        }
        catch (IOException ex)
        {
            throw new ModelLoadException($"{path}: cannot read the model file ({OneLine(ex.Message)}); check that the file is readable and not being written.", ex);
        }
    }

    /// <summary>Parses bytes as a ModelProto, turning protobuf errors into one-line messages.</summary>
    internal static ModelProto Parse(byte[] bytes, string path) => Parse(new ReadOnlySequence<byte>(bytes), bytes, path);

    /// <summary>Parses <paramref name="data"/> (the same bytes as <paramref name="bytes"/>, which is read only for field
    /// headers and error messages) as a ModelProto.</summary>
    private static ModelProto Parse(ReadOnlySequence<byte> data, ReadOnlySpan<byte> bytes, string path)
    {
        ModelProto proto;
        try
        {
            // why: parsing a sequence allocates each bytes field once at its final size (a stream is read in 4 KB chunks
            // that are then copied, twice the largest tensor); the recursion limit is Google.Protobuf's default, 100.
            proto = ModelProto.Parser.ParseFrom(data);
        }
        catch (InvalidProtocolBufferException ex) when (ex.Message.Contains("end-group", StringComparison.OrdinalIgnoreCase) || ex.Message.Contains("more data", StringComparison.OrdinalIgnoreCase))
        {
            // why: a stray end-group tag (e.g. the byte 'T' of a text file) ends the message early; bytes left over mean
            // the file is not one protobuf message.
            throw Classify(bytes, path, "parsing stopped at an end-group tag before the end of the file", ex);
        }
        catch (InvalidProtocolBufferException ex)
        {
            throw Classify(bytes, path, OneLine(ex.Message), ex);
        }
        OnnxWireFormat.RecordPresence(proto, bytes);
        return proto;
    }

    private static ModelLoadException Classify(ReadOnlySpan<byte> bytes, string path, string detail, Exception? ex)
    {
        if (detail.Contains("nesting", StringComparison.OrdinalIgnoreCase))
            return Make($"{path}: protobuf messages nested deeper than {RecursionLimit} levels (subgraphs within subgraphs); the file is malformed or hostile — re-export the model.", ex);
        var scan = ProtobufScan.ScanModelTopLevel(bytes);
        if (!scan.Truncated && !scan.Invalid && scan.WireTypeMismatch is { } m)
            return NotAModel(path, m);
        // why: random bytes almost never form a run of ModelProto fields with the right wire types; a file
        // whose top-level fields all look like a model's but that ends mid-field was cut short.
        if (scan.Truncated && scan.AllFieldsLookLikeModel)
            return Make($"{path}: the file is truncated: its {bytes.Length} bytes end in the middle of a protobuf field ({scan.FieldsRead} complete top-level fields read); re-download or re-export the model.", ex);
        if (scan.AllFieldsLookLikeModel && !scan.Invalid && !scan.Truncated)
            return Make($"{path}: the model file is corrupt: its top-level fields are intact but a nested message is malformed ({detail}); re-export the model.", ex);
        return Make($"{path}: not an ONNX model: the bytes are not a valid protobuf ({detail}); pass an .onnx file written by an ONNX exporter (e.g. torch.onnx.export).", ex);
    }

    private static ModelLoadException Make(string message, Exception? inner) => inner is null ? new(message) : new(message, inner);

    private static ModelLoadException NotAModel(string path, (int Field, int WireType) m) =>
        new($"{path}: a valid protobuf but not an ONNX model (top-level field {m.Field} has wire type {m.WireType}, which the ModelProto field {m.Field} never has; e.g. a tensor .pb file); pass the .onnx model file instead.");

    private static void Validate(ModelProto proto, ReadOnlySpan<byte> bytes, string path)
    {
        var scan = ProtobufScan.ScanModelTopLevel(bytes);
        if (scan.Invalid || scan.Truncated)
            throw Classify(bytes, path, "the parser stopped early at an end-group tag", null);
        if (scan.WireTypeMismatch is { } mismatch)
            throw NotAModel(path, mismatch);
        if (proto.IrVersion == 0 && proto.Graph is null && proto.OpsetImport.Count == 0)
            throw new ModelLoadException($"{path}: a valid protobuf but not an ONNX model (it has no ir_version, graph or opset_import); pass the .onnx model file instead.");
        if (proto.Graph is null)
            throw new ModelLoadException($"{path}: the ONNX model has no graph (ir_version {(proto.IrVersion != 0 ? proto.IrVersion.ToString(CultureInfo.InvariantCulture) : "missing")}); re-export the model.");
        if (proto.OpsetImport.Count == 0)
            throw new ModelLoadException($"{path}: the ONNX model declares no opset_import (operator set version), so the file is incomplete or truncated; re-export the model.");
        var g = proto.Graph;
        var gname = g.Name;
        if (g.Node.Count == 0)
            throw new ModelLoadException($"{path}: graph '{gname}' has no nodes, so there is nothing to audit; re-export the model with its layers.");
        if (g.Output.Count == 0)
            throw new ModelLoadException($"{path}: graph '{gname}' declares no outputs; re-export the model with its output tensors declared.");
        // why: a constant-only graph (e.g. libonnx-testdata node/test_constant) is still a valid ONNX model and must
        // load and round-trip; the graph analyzer rejects it because an auditor needs an image input.
    }

    private static string OneLine(string s) => string.Join(' ', s.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries)).Trim().TrimEnd('.');
}
