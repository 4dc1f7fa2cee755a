using System.Security.Cryptography;
using Google.Protobuf;
using OnnxAudit.Errors;
using Onnx;

namespace OnnxAudit.Onnx;

/// <summary>
/// An ONNX model held in memory with all external data inlined, so that <see cref="ToBytes"/> is a
/// self-contained model ONNX Runtime can load. Not thread-safe for mutation; reading is safe.
/// </summary>
public sealed class OnnxModel
{
    private OnnxModel(ModelProto proto, string origin, string sha256)
    {
        Proto = proto;
        Origin = origin;
        Sha256 = sha256;
    }

    /// <summary>The parsed model. Mutating it changes this model.</summary>
    public ModelProto Proto { get; }

    /// <summary>The path it was loaded from, or a descriptive name for in-memory models; used in messages.</summary>
    public string Origin { get; }

    /// <summary>Lower-case hex SHA-256 of the model file's bytes (of the serialized proto for in-memory models).</summary>
    public string Sha256 { get; }

    /// <summary>The graph (never null for a loaded model).</summary>
    public GraphProto Graph => Proto.Graph;

    /// <summary>The opset version imported for the default domain ("" or "ai.onnx"); 1 when none is declared.</summary>
    public long DefaultOpset =>
        Proto.OpsetImport.Where(o => string.IsNullOrEmpty(o.Domain) || o.Domain == "ai.onnx").Select(o => o.Version).DefaultIfEmpty(1).Max();

    /// <summary>Loads a model file. External data is resolved relative to the model's folder and inlined.</summary>
    /// <exception cref="ModelLoadException">The file is missing, a directory, empty, unreadable, not protobuf,
    /// truncated, not an ONNX model, has no graph / nodes / inputs / outputs / opset_import, or its
    /// external data is missing, absolute, outside the model's folder or out of range. The message is one
    /// line naming the file, the problem and the fix.</exception>
    public static OnnxModel Load(string path) => OnnxModelReader.Read(path);

    /// <summary>Wraps an in-memory model (e.g. one built by code). The proto is not copied.</summary>
    public static OnnxModel FromProto(ModelProto proto, string origin)
    {
        ArgumentNullException.ThrowIfNull(proto);
        return new OnnxModel(proto, origin, Convert.ToHexStringLower(SHA256.HashData(OnnxWireFormat.ToBytes(proto))));
    }

    internal static OnnxModel Create(ModelProto proto, string origin, string sha256) => new(proto, origin, sha256);

    /// <summary>Serializes the model in ONNX's encoding (self-contained, unknown fields preserved; a loaded model
    /// that was not changed gives the file's bytes). Use this, not <c>Proto.ToByteArray()</c>, whose proto3 encoding
    /// drops default-valued attribute values (see <see cref="OnnxWireFormat"/>).</summary>
    public byte[] ToBytes() => OnnxWireFormat.ToBytes(Proto);

    /// <summary>A deep copy, for building derived models without touching this one.</summary>
    public OnnxModel Clone(string? origin = null)
    {
        var copy = Proto.Clone();
        OnnxWireFormat.CopyPresence(Proto, copy);
        return new(copy, origin ?? Origin, Sha256);
    }

    /// <summary>Writes the model to <paramref name="path"/> atomically (temp file in the same folder, then
    /// rename; nothing is left behind on failure). Unknown fields are written back unchanged.</summary>
    /// <exception cref="OnnxAuditException">The path is a directory, its folder is missing, or writing failed.</exception>
    public void Save(string path) => OnnxModelWriter.Write(this, path);

    /// <summary>Finds an initializer by name, or null.</summary>
    public TensorProto? FindInitializer(string name) => Proto.Graph.Initializer.FirstOrDefault(t => t.Name == name);
}
