using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace OnnxAudit.Data;

/// <summary>
/// Writes NumPy <c>.npy</c> files (format 1.0, C order, little-endian, header padded so the data starts at a
/// multiple of 64 bytes, as numpy does). Writes are atomic: a temp file in the same folder renamed over the target.
/// Stateless and thread-safe.
/// </summary>
public static class NpyWriter
{
    /// <summary>Writes a float32 array (<c>&lt;f4</c>) of the given shape.</summary>
    /// <exception cref="ArgumentException">The shape's element count differs from <paramref name="data"/>'s length.</exception>
    public static void Write(string path, ReadOnlySpan<float> data, long[] shape)
    {
        var bytes = new byte[checked(data.Length * 4)];
        for (var i = 0; i < data.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(4 * i), data[i]);
        WriteRaw(path, "<f4", bytes, data.Length, shape);
    }

    /// <summary>Writes a float64 array (<c>&lt;f8</c>) of the given shape.</summary>
    public static void Write(string path, ReadOnlySpan<double> data, long[] shape)
    {
        var bytes = new byte[checked(data.Length * 8)];
        for (var i = 0; i < data.Length; i++) BinaryPrimitives.WriteDoubleLittleEndian(bytes.AsSpan(8 * i), data[i]);
        WriteRaw(path, "<f8", bytes, data.Length, shape);
    }

    /// <summary>Writes an int64 array (<c>&lt;i8</c>) of the given shape.</summary>
    public static void Write(string path, ReadOnlySpan<long> data, long[] shape)
    {
        var bytes = new byte[checked(data.Length * 8)];
        for (var i = 0; i < data.Length; i++) BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(8 * i), data[i]);
        WriteRaw(path, "<i8", bytes, data.Length, shape);
    }

    /// <summary>Writes a uint8 array (<c>|u1</c>) of the given shape.</summary>
    public static void Write(string path, ReadOnlySpan<byte> data, long[] shape)
        => WriteRaw(path, "|u1", data.ToArray(), data.Length, shape);

    /// <summary>The complete .npy file bytes for raw little-endian data (no file I/O).</summary>
    public static byte[] Encode(string descr, ReadOnlySpan<byte> rawLittleEndian, long[] shape)
    {
        var header = BuildHeader(descr, shape);
        var result = new byte[header.Length + rawLittleEndian.Length];
        header.CopyTo(result, 0);
        rawLittleEndian.CopyTo(result.AsSpan(header.Length));
        return result;
    }

    /// <summary>The v1.0 preamble + header dict, padded with spaces and ending in '\n', total length a multiple of 64.</summary>
    internal static byte[] BuildHeader(string descr, long[] shape)
    {
        var shapeText = shape.Length switch
        {
            0 => "()",
            1 => string.Create(CultureInfo.InvariantCulture, $"({shape[0]},)"),
            _ => "(" + string.Join(", ", shape.Select(d => d.ToString(CultureInfo.InvariantCulture))) + ")",
        };
        var dict = $"{{'descr': '{descr}', 'fortran_order': False, 'shape': {shapeText}, }}";
        // why: numpy.lib.format aligns the data to 64 bytes (ARRAY_ALIGN), reserves spaces so the first axis can
        // grow to 21 digits in place (GROWTH_AXIS_MAX_DIGITS, numpy ≥ 1.23) and ends the header with '\n'; doing the
        // same makes our files byte-identical to numpy.save's.
        const int preamble = 10;
        var growth = shape.Length == 0 ? 0 : Math.Max(0, 21 - shape[0].ToString(CultureInfo.InvariantCulture).Length);
        var total = preamble + dict.Length + growth + 1;
        var padded = (total + 63) / 64 * 64;
        var headerLen = padded - preamble;
        if (headerLen > ushort.MaxValue) throw new ArgumentException("shape too long for a v1.0 .npy header", nameof(shape));
        var bytes = new byte[padded];
        bytes[0] = 0x93;
        Encoding.ASCII.GetBytes("NUMPY", bytes.AsSpan(1));
        bytes[6] = 1;
        bytes[7] = 0;
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(8), (ushort)headerLen);
        var body = bytes.AsSpan(preamble);
        body.Fill((byte)' ');
        Encoding.ASCII.GetBytes(dict, body);
        bytes[^1] = (byte)'\n';
        return bytes;
    }

    /// <summary>Writes a float32 array (<c>&lt;f4</c>) of the given shape; on little-endian machines straight from the
    /// array, without a byte copy (a 411 MB weight gradient of vgg11_bn would otherwise need 411 MB more).</summary>
    public static void Write(string path, float[] data, long[] shape)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (!BitConverter.IsLittleEndian)
        {
            Write(path, data.AsSpan(), shape);
            return;
        }
        WriteRaw(path, "<f4", new ReadOnlyMemory<float>(data), data.Length, shape);
    }

    private static void WriteRaw(string path, string descr, byte[] raw, int count, long[] shape) =>
        WriteRaw(path, descr, new ReadOnlyMemory<byte>(raw), count, shape);

    private static void WriteRaw<T>(string path, string descr, ReadOnlyMemory<T> raw, int count, long[] shape) where T : struct
    {
        ArgumentNullException.ThrowIfNull(shape);
        long n = 1;
        foreach (var d in shape)
        {
            if (d < 0) throw new ArgumentException($"shape ({string.Join(", ", shape)}) has a negative dimension", nameof(shape));
            n = checked(n * d);
        }
        if (n != count)
        {
            throw new ArgumentException($"shape ({string.Join(", ", shape)}) holds {n} elements but {count} were given", nameof(shape));
        }
        var header = BuildHeader(descr, shape);
        DataFiles.WriteAtomic(path, s =>
        {
            s.Write(header);
            s.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(raw.Span));
        });
    }
}
