using System.Globalization;
using Google.Protobuf;
using OnnxAudit.Errors;
using Onnx;

namespace OnnxAudit.Onnx;

/// <summary>
/// Resolves tensors stored as ONNX external data (data_location = EXTERNAL, external_data keys
/// location / offset / length) relative to the model's folder and inlines them into raw_data, so the
/// in-memory model is self-contained. Locations that are absolute or resolve outside the model folder
/// (lexically or through symbolic links) are rejected.
/// </summary>
internal static class ExternalData
{
    /// <summary>Inlines every external tensor of the model: initializers, sparse initializers, Constant-style tensor
    /// attributes (<c>value</c>, <c>sparse_value</c>, <c>tensors</c>, <c>sparse_tensors</c>), subgraphs, functions and
    /// training info — every TensorProto reachable from the model — so that ONNX Runtime never opens a path.</summary>
    public static void Inline(ModelProto model, string modelFolder, string modelPath)
    {
        ArgumentNullException.ThrowIfNull(model);
        var ctx = new Context(Path.GetFullPath(modelFolder), modelPath);
        // why: a generic walk over the message tree (not a list of known fields) cannot miss a tensor field: the
        // CWD read of issue 15 came from Constant.sparse_value, which a field-by-field walk had skipped. Iterative, so
        // the stack does not grow with the model.
        var pending = new Stack<(IMessage Message, string Where)>();
        pending.Push((model, ""));
        while (pending.Count > 0)
        {
            var (m, where) = pending.Pop();
            if (m is TensorProto t)
            {
                InlineTensor(t, ctx, where);
                continue;
            }
            var here = m switch
            {
                NodeProto n => $"{n.OpType} node '{Common.SafeText.Escape(n.Name, 60)}'",
                AttributeProto a => $"{where} attribute '{Common.SafeText.Escape(a.Name, 40)}'",
                SparseTensorProto sp => sp.Values is { Name.Length: > 0 } v ? $"sparse tensor '{Common.SafeText.Escape(v.Name, 60)}'" : $"{where} sparse tensor",
                _ => where,
            };
            foreach (var f in m.Descriptor.Fields.InFieldNumberOrder())
            {
                if (f.FieldType != Google.Protobuf.Reflection.FieldType.Message) continue;
                var value = f.Accessor.GetValue(m);
                if (f.IsRepeated)
                {
                    foreach (var child in (System.Collections.IList)value) pending.Push(((IMessage)child!, here));
                }
                else if (value is IMessage child)
                {
                    pending.Push((child, here));
                }
            }
        }
    }

    private sealed class Context(string folder, string modelPath)
    {
        public string Folder { get; } = folder;
        public string ModelPath { get; } = modelPath;
        private string? _realFolder;
        public string RealFolder => _realFolder ??= RealPath(Folder);
    }

    private static void InlineTensor(TensorProto t, Context ctx, string where)
    {
        if (t.DataLocation != TensorProto.Types.DataLocation.External) return;
        var p = ctx.ModelPath;
        var name = t.Name.Length > 0 ? Common.SafeText.Escape(t.Name, 80) : where.Length > 0 ? $"(unnamed, in {where})" : "(unnamed)";
        string? location = null;
        long offset = 0;
        long? length = null;
        foreach (var kv in t.ExternalData)
        {
            switch (kv.Key)
            {
                case "location": location = kv.Value; break;
                case "offset": offset = ParseNonNegative(kv, name, p); break;
                case "length": length = ParseNonNegative(kv, name, p); break;
                default: break; // checksum and future keys are informational
            }
        }
        if (string.IsNullOrEmpty(location))
            throw new ModelLoadException($"{p}: tensor '{name}' is stored as external data but has no 'location' entry; re-export the model with its external data.");
        if (location.Contains('\0', StringComparison.Ordinal))
            throw new ModelLoadException($"{p}: tensor '{name}' has an external data location containing a NUL character; re-export the model.");
        // why: Path.IsPathRooted on Linux does not treat "C:\x" or "\x" as absolute; reject those too.
        if (Path.IsPathRooted(location) || location.StartsWith('\\') || (location.Length >= 2 && location[1] == ':'))
            throw new ModelLoadException($"{p}: tensor '{name}' points to external data at the absolute path '{Common.SafeText.Escape(location)}', which is not allowed; keep the data file in the model's folder and use a relative location.");

        var full = Path.GetFullPath(Path.Combine(ctx.Folder, location));
        if (!IsInside(full, ctx.Folder))
            throw new ModelLoadException($"{p}: tensor '{name}' external data location '{Common.SafeText.Escape(location)}' resolves to {full}, outside the model folder {ctx.Folder}; move the data file into the model's folder and use a relative location without '..'.");
        if (Directory.Exists(full))
            throw new ModelLoadException($"{p}: tensor '{name}' external data location '{Common.SafeText.Escape(location)}' is a directory, not a data file; re-export the model with its external data.");
        if (!File.Exists(full))
            throw new ModelLoadException($"{p}: tensor '{name}' external data file '{Common.SafeText.Escape(location)}' not found (looked for {full}); copy the data file next to the model.");
        string real;
        try
        {
            real = RealPath(full);
        }
        catch (IOException ex)
        {
            throw new ModelLoadException($"{p}: tensor '{name}' external data location '{Common.SafeText.Escape(location)}' cannot be resolved ({ex.Message}); replace the symbolic links with the data file itself.", ex);
        }
        if (!IsInside(real, ctx.RealFolder))
            throw new ModelLoadException($"{p}: tensor '{name}' external data location '{Common.SafeText.Escape(location)}' is a symbolic link to {real}, outside the model folder {ctx.RealFolder}; copy the data file into the model's folder.");

        byte[] data;
        try
        {
            using var fs = new FileStream(full, FileMode.Open, FileAccess.Read, FileShare.Read);
            var fileLength = fs.Length;
            var n = length ?? fileLength - offset;
            if (offset > fileLength || n < 0 || n > fileLength - offset)
                throw new ModelLoadException($"{p}: tensor '{name}' external data '{Common.SafeText.Escape(location)}' has offset {offset} and length {(length is null ? "(to end)" : n.ToString(CultureInfo.InvariantCulture))}, but the file has only {fileLength} bytes; copy the data file that belongs to this model or re-export it.");
            if (n > int.MaxValue)
                throw new ModelLoadException($"{p}: tensor '{name}' external data '{Common.SafeText.Escape(location)}' is {n} bytes, above the 2 GiB − 1 limit of one tensor; split the tensor or use a smaller model.");
            data = new byte[n];
            fs.Seek(offset, SeekOrigin.Begin);
            fs.ReadExactly(data);
        }
        catch (UnauthorizedAccessException ex)
        {
            throw new ModelLoadException($"{p}: permission denied reading external data file '{Common.SafeText.Escape(location)}' of tensor '{name}' ({ex.Message}); check the file permissions.", ex);
        }
        catch (IOException ex)
        {
            throw new ModelLoadException($"{p}: cannot read external data file '{Common.SafeText.Escape(location)}' of tensor '{name}' ({ex.Message}); check that the file is readable.", ex);
        }

        var dtype = (TensorProto.Types.DataType)t.DataType;
        var size = TensorData.ElementSize(dtype);
        if (size > 0)
        {
            var count = TensorData.ElementCount(t);
            if (count * size != data.LongLength)
                throw new ModelLoadException($"{p}: tensor '{name}' external data '{Common.SafeText.Escape(location)}' holds {data.LongLength} bytes, expected {count} × {size} = {count * size} for dims [{string.Join(", ", t.Dims)}] of type {dtype}; copy the data file that belongs to this model or re-export it.");
        }

        t.RawData = ByteString.CopyFrom(data);
        t.ExternalData.Clear();
        t.DataLocation = TensorProto.Types.DataLocation.Default;
        OnnxWireFormat.ClearPresence(t, TensorProto.DataLocationFieldNumber);
    }

    private static long ParseNonNegative(StringStringEntryProto kv, string name, string p)
    {
        if (!long.TryParse(kv.Value, NumberStyles.None, CultureInfo.InvariantCulture, out var v))
            throw new ModelLoadException($"{p}: tensor '{name}' external data '{Common.SafeText.Escape(kv.Key, 40)}' is '{Common.SafeText.Escape(kv.Value, 40)}', expected a non-negative integer; re-export the model with its external data.");
        return v;
    }

    private static bool IsInside(string path, string folder)
    {
        var f = Path.TrimEndingDirectorySeparator(folder) + Path.DirectorySeparatorChar;
        return path.StartsWith(f, StringComparison.Ordinal);
    }

    /// <summary>The absolute path with every symbolic link resolved (<see cref="Common.RealPaths.Resolve"/>).</summary>
    internal static string RealPath(string fullPath) => Common.RealPaths.Resolve(fullPath);
}
