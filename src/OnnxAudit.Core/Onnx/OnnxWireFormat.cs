using System.Reflection;
using System.Runtime.CompilerServices;
using Google.Protobuf;
using Google.Protobuf.Collections;
using Google.Protobuf.Reflection;
using Onnx;

namespace OnnxAudit.Onnx;

/// <summary>
/// Serializes OnnxSharp's messages in ONNX's own encoding (the proto2 <c>onnx.proto</c>), so that a model read and
/// written again is byte-equal to the file, and so that ONNX Runtime (which reads proto2 and tests field presence)
/// sees the same model. Thread-safe for concurrent reads of different messages; not for a message being mutated.
/// </summary>
/// <remarks>
/// why: OnnxSharp is generated from <c>onnx.proto3</c>. Proto3 has no presence for scalars, so its writer drops
/// every field equal to its default: an attribute <c>axis = 0</c> or <c>keepdims = 0</c> is written without its
/// value, and ONNX Runtime then reports the attribute as missing or takes the operator's default (keepdims = 1).
/// Proto3 also packs every repeated scalar, where onnx.proto leaves <c>dims</c>, <c>ints</c> and <c>floats</c>
/// unpacked. Measured on libonnx-testdata (1,072 models): the proto3 writer reproduced 47 files byte for byte, and
/// 135 models have a default-valued attribute that it would drop. This writer keeps OnnxSharp's
/// <see cref="ModelProto"/> as the model type and restores the proto2 behaviour: fields seen on the wire are written
/// back even when they hold the default (recorded by <see cref="RecordPresence"/>), the value field an
/// attribute's <c>type</c> names is always written, repeated scalars follow onnx.proto's packing (or the file's,
/// when it differed), fields go in field-number order and unknown fields follow, unchanged.
/// </remarks>
internal static class OnnxWireFormat
{
    /// <summary>Per message: scalar fields present on the wire, repeated scalars whose encoding differs from onnx.proto.</summary>
    private sealed class WireInfo
    {
        public ulong Present;
        public ulong EncodingFlipped;
    }

    private static readonly ConditionalWeakTable<IMessage, WireInfo> Info = new();
    private static readonly UnknownFieldAccessor UnknownFieldsAccess = new();

    /// <summary>Serializes <paramref name="message"/> (a ModelProto or any ONNX message) in ONNX's encoding.</summary>
    public static byte[] ToBytes(IMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var sizes = new Dictionary<IMessage, int>(ReferenceEqualityComparer.Instance);
        var size = Size(message, sizes);
        var bytes = new byte[size];
        var output = new CodedOutputStream(bytes);
        Write(output, message, sizes);
        output.Flush();
        output.CheckNoSpaceLeft();
        return bytes;
    }

    /// <summary>Records, for every message parsed from <paramref name="bytes"/> into <paramref name="message"/>, which
    /// scalar fields were present and which repeated scalars were encoded unlike onnx.proto. <paramref name="bytes"/>
    /// must be what <paramref name="message"/> was parsed from (with its limits already enforced).</summary>
    public static void RecordPresence(IMessage message, ReadOnlySpan<byte> bytes)
    {
        ArgumentNullException.ThrowIfNull(message);
        Walk(message, bytes);
    }

    /// <summary>Copies the recorded presence of <paramref name="source"/> to its clone <paramref name="clone"/>
    /// (same structure, e.g. from <c>Clone()</c>).</summary>
    public static void CopyPresence(IMessage source, IMessage clone)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(clone);
        if (Info.TryGetValue(source, out var info))
            Info.AddOrUpdate(clone, new WireInfo { Present = info.Present, EncodingFlipped = info.EncodingFlipped });
        foreach (var f in source.Descriptor.Fields.InFieldNumberOrder())
        {
            if (f.FieldType != FieldType.Message) continue;
            if (f.IsRepeated)
            {
                var a = (System.Collections.IList)f.Accessor.GetValue(source);
                var b = (System.Collections.IList)f.Accessor.GetValue(clone);
                for (var i = 0; i < a.Count && i < b.Count; i++) CopyPresence((IMessage)a[i]!, (IMessage)b[i]!);
            }
            else if (f.Accessor.GetValue(source) is IMessage sa && f.Accessor.GetValue(clone) is IMessage sb)
            {
                CopyPresence(sa, sb);
            }
        }
    }

    /// <summary>Forgets that <paramref name="fieldNumber"/> of <paramref name="message"/> was on the wire (proto2's
    /// ClearX), so a default value is no longer written.</summary>
    public static void ClearPresence(IMessage message, int fieldNumber)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (fieldNumber < 64 && Info.TryGetValue(message, out var info)) info.Present &= ~(1UL << fieldNumber);
    }

    // why: onnx.proto (proto2) marks exactly these repeated scalars [packed = true]; the rest are unpacked.
    private static bool PackedInOnnxProto(MessageDescriptor message, FieldDescriptor field) =>
        message.FullName == "onnx.TensorProto" && field.FieldNumber is 4 or 5 or 7 or 10 or 11;

    private static bool Packed(IMessage m, FieldDescriptor f)
    {
        var packed = PackedInOnnxProto(m.Descriptor, f) && f.FieldType is not (FieldType.String or FieldType.Bytes);
        return Info.TryGetValue(m, out var info) && f.FieldNumber < 64 && (info.EncodingFlipped & (1UL << f.FieldNumber)) != 0 ? !packed : packed;
    }

    /// <summary>Whether a singular field is written: oneof members when set, messages when not null, scalars when
    /// not the default, when seen on the wire, or when they are the value an attribute's type names.</summary>
    private static bool Emits(IMessage m, FieldDescriptor f, object? value)
    {
        if (f.RealContainingOneof is { } oneof) return oneof.Accessor.GetCaseFieldDescriptor(m) == f;
        if (value is null) return false;
        if (f.FieldType == FieldType.Message) return true;
        if (!IsDefault(value)) return true;
        if (f.FieldNumber < 64 && Info.TryGetValue(m, out var info) && (info.Present & (1UL << f.FieldNumber)) != 0) return true;
        // why: ONNX requires the value field named by AttributeProto.type (onnx checker: "one and only one value
        // field"); ONNX Runtime reads it with has_i()/has_f()/has_s().
        return m is AttributeProto a && f.FieldNumber == a.Type switch
        {
            AttributeProto.Types.AttributeType.Float => AttributeProto.FFieldNumber,
            AttributeProto.Types.AttributeType.Int => AttributeProto.IFieldNumber,
            AttributeProto.Types.AttributeType.String => AttributeProto.SFieldNumber,
            _ => -1,
        };
    }

    private static bool IsDefault(object value) => value switch
    {
        string s => s.Length == 0,
        ByteString b => b.IsEmpty,
        bool b => !b,
        float x => BitConverter.SingleToInt32Bits(x) == 0,
        double x => BitConverter.DoubleToInt64Bits(x) == 0,
        int x => x == 0,
        long x => x == 0,
        uint x => x == 0,
        ulong x => x == 0,
        Enum e => Convert.ToInt64(e, System.Globalization.CultureInfo.InvariantCulture) == 0,
        _ => false,
    };

    private static int Size(IMessage m, Dictionary<IMessage, int> sizes)
    {
        var size = 0;
        foreach (var f in m.Descriptor.Fields.InFieldNumberOrder())
        {
            var value = f.Accessor.GetValue(m);
            if (f.IsRepeated)
            {
                var list = (System.Collections.IList)value;
                if (list.Count == 0) continue;
                if (f.FieldType == FieldType.Message)
                {
                    foreach (IMessage child in list)
                    {
                        var c = Size(child, sizes);
                        size += CodedOutputStream.ComputeTagSize(f.FieldNumber) + CodedOutputStream.ComputeLengthSize(c) + c;
                    }
                }
                else
                {
                    size += RepeatedSize(list, Codec(f, Packed(m, f)));
                }
                continue;
            }
            if (!Emits(m, f, value)) continue;
            size += CodedOutputStream.ComputeTagSize(f.FieldNumber);
            if (f.FieldType == FieldType.Message)
            {
                var c = Size((IMessage)value, sizes);
                size += CodedOutputStream.ComputeLengthSize(c) + c;
            }
            else
            {
                size += ScalarSize(f.FieldType, value);
            }
        }
        size += UnknownFields(m)?.CalculateSize() ?? 0;
        sizes[m] = size;
        return size;
    }

    private static void Write(CodedOutputStream o, IMessage m, Dictionary<IMessage, int> sizes)
    {
        foreach (var f in m.Descriptor.Fields.InFieldNumberOrder())
        {
            var value = f.Accessor.GetValue(m);
            if (f.IsRepeated)
            {
                var list = (System.Collections.IList)value;
                if (list.Count == 0) continue;
                if (f.FieldType == FieldType.Message)
                {
                    foreach (IMessage child in list)
                    {
                        o.WriteTag(f.FieldNumber, WireFormat.WireType.LengthDelimited);
                        o.WriteLength(sizes[child]);
                        Write(o, child, sizes);
                    }
                }
                else
                {
                    WriteRepeated(o, list, Codec(f, Packed(m, f)));
                }
                continue;
            }
            if (!Emits(m, f, value)) continue;
            if (f.FieldType == FieldType.Message)
            {
                var child = (IMessage)value;
                o.WriteTag(f.FieldNumber, WireFormat.WireType.LengthDelimited);
                o.WriteLength(sizes[child]);
                Write(o, child, sizes);
            }
            else
            {
                o.WriteTag(f.FieldNumber, ScalarWireType(f.FieldType));
                WriteScalar(o, f.FieldType, value);
            }
        }
        UnknownFields(m)?.WriteTo(o);
    }

    private static WireFormat.WireType ScalarWireType(FieldType t) => t switch
    {
        FieldType.Double or FieldType.Fixed64 or FieldType.SFixed64 => WireFormat.WireType.Fixed64,
        FieldType.Float or FieldType.Fixed32 or FieldType.SFixed32 => WireFormat.WireType.Fixed32,
        FieldType.String or FieldType.Bytes => WireFormat.WireType.LengthDelimited,
        _ => WireFormat.WireType.Varint,
    };

    private static int ScalarSize(FieldType t, object v) => t switch
    {
        FieldType.Double => 8,
        FieldType.Float => 4,
        FieldType.Fixed64 or FieldType.SFixed64 => 8,
        FieldType.Fixed32 or FieldType.SFixed32 => 4,
        FieldType.Int64 => CodedOutputStream.ComputeInt64Size((long)v),
        FieldType.UInt64 => CodedOutputStream.ComputeUInt64Size((ulong)v),
        FieldType.Int32 => CodedOutputStream.ComputeInt32Size((int)v),
        FieldType.UInt32 => CodedOutputStream.ComputeUInt32Size((uint)v),
        FieldType.SInt32 => CodedOutputStream.ComputeSInt32Size((int)v),
        FieldType.SInt64 => CodedOutputStream.ComputeSInt64Size((long)v),
        FieldType.Bool => 1,
        FieldType.Enum => CodedOutputStream.ComputeEnumSize(Convert.ToInt32(v, System.Globalization.CultureInfo.InvariantCulture)),
        FieldType.String => CodedOutputStream.ComputeStringSize((string)v),
        FieldType.Bytes => CodedOutputStream.ComputeBytesSize((ByteString)v),
        _ => throw new NotSupportedException($"protobuf field type {t} does not occur in ONNX"),
    };

    private static void WriteScalar(CodedOutputStream o, FieldType t, object v)
    {
        switch (t)
        {
            case FieldType.Double: o.WriteDouble((double)v); break;
            case FieldType.Float: o.WriteFloat((float)v); break;
            case FieldType.Fixed64: o.WriteFixed64((ulong)v); break;
            case FieldType.SFixed64: o.WriteSFixed64((long)v); break;
            case FieldType.Fixed32: o.WriteFixed32((uint)v); break;
            case FieldType.SFixed32: o.WriteSFixed32((int)v); break;
            case FieldType.Int64: o.WriteInt64((long)v); break;
            case FieldType.UInt64: o.WriteUInt64((ulong)v); break;
            case FieldType.Int32: o.WriteInt32((int)v); break;
            case FieldType.UInt32: o.WriteUInt32((uint)v); break;
            case FieldType.SInt32: o.WriteSInt32((int)v); break;
            case FieldType.SInt64: o.WriteSInt64((long)v); break;
            case FieldType.Bool: o.WriteBool((bool)v); break;
            case FieldType.Enum: o.WriteEnum(Convert.ToInt32(v, System.Globalization.CultureInfo.InvariantCulture)); break;
            case FieldType.String: o.WriteString((string)v); break;
            case FieldType.Bytes: o.WriteBytes((ByteString)v); break;
            default: throw new NotSupportedException($"protobuf field type {t} does not occur in ONNX");
        }
    }

    /// <summary>A codec for a repeated scalar field with the given packing (the tag decides it).</summary>
    private static object Codec(FieldDescriptor f, bool packed)
    {
        var wire = packed && f.FieldType is not (FieldType.String or FieldType.Bytes) ? WireFormat.WireType.LengthDelimited : ScalarWireType(f.FieldType);
        var tag = WireFormat.MakeTag(f.FieldNumber, wire);
        return f.FieldType switch
        {
            FieldType.Float => FieldCodec.ForFloat(tag),
            FieldType.Double => FieldCodec.ForDouble(tag),
            FieldType.Int64 => FieldCodec.ForInt64(tag),
            FieldType.UInt64 => FieldCodec.ForUInt64(tag),
            FieldType.Int32 => FieldCodec.ForInt32(tag),
            FieldType.UInt32 => FieldCodec.ForUInt32(tag),
            FieldType.SInt32 => FieldCodec.ForSInt32(tag),
            FieldType.SInt64 => FieldCodec.ForSInt64(tag),
            FieldType.Fixed32 => FieldCodec.ForFixed32(tag),
            FieldType.Fixed64 => FieldCodec.ForFixed64(tag),
            FieldType.SFixed32 => FieldCodec.ForSFixed32(tag),
            FieldType.SFixed64 => FieldCodec.ForSFixed64(tag),
            FieldType.Bool => FieldCodec.ForBool(tag),
            FieldType.String => FieldCodec.ForString(tag),
            FieldType.Bytes => FieldCodec.ForBytes(tag),
            FieldType.Enum => FieldCodec.ForInt32(tag),
            _ => throw new NotSupportedException($"protobuf field type {f.FieldType} does not occur in ONNX"),
        };
    }

    private static int RepeatedSize(System.Collections.IList list, object codec) => (list, codec) switch
    {
        (RepeatedField<float> r, FieldCodec<float> c) => r.CalculateSize(c),
        (RepeatedField<double> r, FieldCodec<double> c) => r.CalculateSize(c),
        (RepeatedField<long> r, FieldCodec<long> c) => r.CalculateSize(c),
        (RepeatedField<ulong> r, FieldCodec<ulong> c) => r.CalculateSize(c),
        (RepeatedField<int> r, FieldCodec<int> c) => r.CalculateSize(c),
        (RepeatedField<uint> r, FieldCodec<uint> c) => r.CalculateSize(c),
        (RepeatedField<bool> r, FieldCodec<bool> c) => r.CalculateSize(c),
        (RepeatedField<string> r, FieldCodec<string> c) => r.CalculateSize(c),
        (RepeatedField<ByteString> r, FieldCodec<ByteString> c) => r.CalculateSize(c),
        _ => throw new NotSupportedException($"repeated field of {list.GetType().Name} does not occur in ONNX"),
    };

    private static void WriteRepeated(CodedOutputStream o, System.Collections.IList list, object codec)
    {
        switch (list, codec)
        {
            case (RepeatedField<float> r, FieldCodec<float> c): r.WriteTo(o, c); break;
            case (RepeatedField<double> r, FieldCodec<double> c): r.WriteTo(o, c); break;
            case (RepeatedField<long> r, FieldCodec<long> c): r.WriteTo(o, c); break;
            case (RepeatedField<ulong> r, FieldCodec<ulong> c): r.WriteTo(o, c); break;
            case (RepeatedField<int> r, FieldCodec<int> c): r.WriteTo(o, c); break;
            case (RepeatedField<uint> r, FieldCodec<uint> c): r.WriteTo(o, c); break;
            case (RepeatedField<bool> r, FieldCodec<bool> c): r.WriteTo(o, c); break;
            case (RepeatedField<string> r, FieldCodec<string> c): r.WriteTo(o, c); break;
            case (RepeatedField<ByteString> r, FieldCodec<ByteString> c): r.WriteTo(o, c); break;
            default: throw new NotSupportedException($"repeated field of {list.GetType().Name} does not occur in ONNX");
        }
    }

    // why: generated messages keep unknown fields in a private field and expose no getter; reading it is the only
    // way to write them back in place (after the known fields, as Google.Protobuf's own writer does).
    private static UnknownFieldSet? UnknownFields(IMessage m) => UnknownFieldsAccess.Get(m.GetType())?.GetValue(m) as UnknownFieldSet;

    private sealed class UnknownFieldAccessor
    {
        private readonly System.Collections.Concurrent.ConcurrentDictionary<Type, FieldInfo?> _fields = new();

        public FieldInfo? Get(Type t) => _fields.GetOrAdd(t, static type =>
            type.GetField("_unknownFields", BindingFlags.Instance | BindingFlags.NonPublic)
            ?? throw new InvalidOperationException($"{type.FullName} has no _unknownFields field; the OnnxSharp/Google.Protobuf version changed its generated code — update OnnxWireFormat."));
    }

    /// <summary>Walks the wire bytes of one message beside its parsed form, recording presence.</summary>
    private static void Walk(IMessage m, ReadOnlySpan<byte> bytes)
    {
        var d = m.Descriptor;
        Dictionary<int, int>? index = null;
        WireInfo? info = null;
        var pos = 0;
        while (pos < bytes.Length)
        {
            if (!TryVarint(bytes, ref pos, out var tag)) return;
            var number = (int)(tag >> 3);
            var wire = (int)(tag & 7);
            var start = pos;
            if (!Skip(bytes, ref pos, wire, number)) return;
            var f = d.FindFieldByNumber(number);
            if (f is null) continue;
            if (f.FieldType == FieldType.Message)
            {
                if (wire != 2) continue;
                var lenPos = start;
                TryVarint(bytes, ref lenPos, out _);
                var body = bytes[lenPos..pos];
                if (f.IsRepeated)
                {
                    index ??= [];
                    var list = (System.Collections.IList)f.Accessor.GetValue(m);
                    var i = index.GetValueOrDefault(number);
                    index[number] = i + 1;
                    if (i < list.Count) Walk((IMessage)list[i]!, body);
                }
                else if (f.Accessor.GetValue(m) is IMessage child)
                {
                    Walk(child, body);
                }
                continue;
            }
            if (number >= 64) continue;
            info ??= Info.GetValue(m, static _ => new WireInfo());
            if (!f.IsRepeated)
            {
                info.Present |= 1UL << number;
            }
            else if (f.FieldType is not (FieldType.String or FieldType.Bytes))
            {
                var packedOnWire = wire == 2;
                if (packedOnWire != PackedInOnnxProto(d, f)) info.EncodingFlipped |= 1UL << number;
            }
        }
    }

    private static bool TryVarint(ReadOnlySpan<byte> b, ref int pos, out ulong value)
    {
        value = 0;
        for (var shift = 0; shift < 64 && pos < b.Length; shift += 7)
        {
            var x = b[pos++];
            value |= (ulong)(x & 0x7F) << shift;
            if (x < 0x80) return true;
        }
        return false;
    }

    private static bool Skip(ReadOnlySpan<byte> b, ref int pos, int wire, int number)
    {
        switch (wire)
        {
            case 0: return TryVarint(b, ref pos, out _);
            case 1: pos += 8; return pos <= b.Length;
            case 5: pos += 4; return pos <= b.Length;
            case 2:
                if (!TryVarint(b, ref pos, out var len) || len > (ulong)(b.Length - pos)) return false;
                pos += (int)len;
                return true;
            case 3:
                while (pos < b.Length)
                {
                    if (!TryVarint(b, ref pos, out var t)) return false;
                    if ((t & 7) == 4) return (int)(t >> 3) == number;
                    if (!Skip(b, ref pos, (int)(t & 7), (int)(t >> 3))) return false;
                }
                return false;
            default: return false;
        }
    }
}
