namespace OnnxAudit.Onnx;

/// <summary>
/// A tolerant walk over the top-level fields of a protobuf buffer, used only to explain why a file is
/// not a usable model (truncated vs not protobuf vs another message type). Never throws.
/// </summary>
internal static class ProtobufScan
{
    /// <summary>Outcome of <see cref="ScanModelTopLevel"/>.</summary>
    internal sealed record Result(
        int FieldsRead,
        bool Truncated,
        bool Invalid,
        bool AllFieldsLookLikeModel,
        (int Field, int WireType)? WireTypeMismatch);

    // why: field numbers and wire types of ModelProto in the ONNX IR (onnx.proto): ir_version 1,
    // producer_name 2, producer_version 3, domain 4, model_version 5, doc_string 6, graph 7,
    // opset_import 8, metadata_props 14, training_info 20, functions 25, configuration 26.
    private static readonly Dictionary<int, int> ModelFields = new()
    {
        [1] = 0, [2] = 2, [3] = 2, [4] = 2, [5] = 0, [6] = 2, [7] = 2, [8] = 2, [14] = 2, [20] = 2, [25] = 2, [26] = 2,
    };

    /// <summary>Walks the top-level fields of <paramref name="bytes"/> as if they were a ModelProto.</summary>
    internal static Result ScanModelTopLevel(ReadOnlySpan<byte> bytes)
    {
        var pos = 0;
        var fields = 0;
        var allModel = true;
        (int, int)? mismatch = null;
        while (pos < bytes.Length)
        {
            var t = ReadVarint(bytes, ref pos);
            if (t is null) return new Result(fields, true, false, allModel, mismatch);
            if (t.Value == 0 || t.Value >> 3 > 536_870_911) return new Result(fields, false, true, false, mismatch);
            var field = (int)(t.Value >> 3);
            var wire = (int)(t.Value & 7);
            if (ModelFields.TryGetValue(field, out var expected))
            {
                if (expected != wire)
                {
                    allModel = false;
                    mismatch ??= (field, wire);
                }
            }
            else
            {
                allModel = false;
            }
            switch (wire)
            {
                case 0:
                    if (ReadVarint(bytes, ref pos) is null) return new Result(fields, true, false, allModel, mismatch);
                    break;
                case 1:
                    if (!Skip(bytes, ref pos, 8)) return new Result(fields, true, false, allModel, mismatch);
                    break;
                case 2:
                    var len = ReadVarint(bytes, ref pos);
                    if (len is null) return new Result(fields, true, false, allModel, mismatch);
                    if (len.Value > int.MaxValue || !Skip(bytes, ref pos, (long)len.Value)) return new Result(fields, true, false, allModel, mismatch);
                    break;
                case 5:
                    if (!Skip(bytes, ref pos, 4)) return new Result(fields, true, false, allModel, mismatch);
                    break;
                default:
                    // groups (3, 4) are never used by ONNX; 6 and 7 do not exist.
                    return new Result(fields, false, true, false, mismatch);
            }
            fields++;
        }
        return new Result(fields, false, false, allModel, mismatch);
    }

    private static bool Skip(ReadOnlySpan<byte> bytes, ref int pos, long n)
    {
        if (bytes.Length - pos < n) return false;
        pos += (int)n;
        return true;
    }

    private static ulong? ReadVarint(ReadOnlySpan<byte> bytes, ref int pos)
    {
        ulong v = 0;
        for (var shift = 0; shift < 70; shift += 7)
        {
            if (pos >= bytes.Length) return null;
            var b = bytes[pos++];
            if (shift < 64) v |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0) return v;
        }
        return v; // over-long varint: treat as a value; the real parser reports it as malformed
    }
}
