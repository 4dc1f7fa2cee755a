using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using OnnxAudit.Errors;

namespace OnnxAudit.Data;

/// <summary>
/// Reads NumPy <c>.npy</c> files (format versions 1.0, 2.0 and 3.0): scalar dtypes bool, (u)int8–64 and
/// float16/32/64 in either byte order, C order only. Structured dtypes, object arrays and Fortran order are
/// rejected with a one-line <see cref="DataFormatException"/>. Stateless and thread-safe.
/// </summary>
public static partial class NpyReader
{
    private static readonly byte[] Magic = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    /// <summary>Reads the array stored in <paramref name="path"/>.</summary>
    /// <exception cref="DataFormatException">The file is missing, a directory, truncated, or not a supported .npy array.</exception>
    public static NpyArray Read(string path)
    {
        DataFiles.RequireFile(path, "a NumPy .npy file");
        // why: a float32 copy of a uint8 array takes 4× the file; check before reading (a 1.5 M-image .npy is 1.2 GB).
        Common.MemoryBudget.Check(Common.MemoryBudget.Multiply(new FileInfo(path).Length, 5), $"{path}: loading the .npy file ({Common.MemoryBudget.Format(new FileInfo(path).Length)} on disk, as float32)", "pass a smaller subset of the images (e.g. np.save(path, a[:1000]))", m => new DataFormatException(m));
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (IOException e)
        {
            throw new DataFormatException($"{path}: cannot be read ({e.Message}); check the path and permissions.", e);
        }
        return Parse(bytes, path);
    }

    /// <summary>Reads a float array (any float or integer dtype, converted to float32) with its shape.</summary>
    public static (float[] Data, long[] Shape) ReadFloat32(string path)
    {
        var a = Read(path);
        return (a.ToFloat32(), a.Shape);
    }

    /// <summary>Reads a float array as float64 with its shape.</summary>
    public static (double[] Data, long[] Shape) ReadFloat64(string path)
    {
        var a = Read(path);
        return (a.ToFloat64(), a.Shape);
    }

    /// <summary>Reads an integer (or bool) array as int64 with its shape; float arrays are rejected.</summary>
    public static (long[] Data, long[] Shape) ReadInt64(string path)
    {
        var a = Read(path);
        return (a.ToInt64(), a.Shape);
    }

    /// <summary>Parses the bytes of a whole .npy file; <paramref name="source"/> names it in messages.</summary>
    public static NpyArray Parse(ReadOnlySpan<byte> file, string source)
    {
        if (file.Length < 10 || !file[..6].SequenceEqual(Magic))
        {
            throw new DataFormatException($"{source}: not a NumPy .npy file (the first bytes are not \\x93NUMPY); pass a file written by numpy.save.");
        }
        int major = file[6], minor = file[7];
        int headerLen, headerStart;
        switch (major)
        {
            case 1:
                headerLen = BinaryPrimitives.ReadUInt16LittleEndian(file[8..]);
                headerStart = 10;
                break;
            case 2 or 3:
                if (file.Length < 12) throw Truncated(source, "header");
                var len = BinaryPrimitives.ReadUInt32LittleEndian(file[8..]);
                if (len > int.MaxValue - 12) throw Truncated(source, "header");
                headerLen = (int)len;
                headerStart = 12;
                break;
            default:
                throw new DataFormatException($"{source}: .npy format version {major}.{minor} is not supported (expected 1.0, 2.0 or 3.0); re-save it with numpy.save.");
        }
        if (file.Length < headerStart + headerLen) throw Truncated(source, "header");
        var headerBytes = file.Slice(headerStart, headerLen);
        // why: format 1.0/2.0 headers are latin-1 (in practice ASCII); 3.0 allows UTF-8 (NEP 1 / numpy.lib.format).
        var header = major == 3 ? Encoding.UTF8.GetString(headerBytes) : Encoding.Latin1.GetString(headerBytes);

        var descrMatch = DescrRegex().Match(header);
        if (!descrMatch.Success)
        {
            throw new DataFormatException($"{source}: the .npy header has no simple 'descr' (structured or object dtype?): {OneLine(header)}; save a plain numeric array.");
        }
        var dtype = ParseDType(descrMatch.Groups[1].Value, source, out var bigEndian);

        var fortranMatch = FortranRegex().Match(header);
        if (!fortranMatch.Success)
        {
            throw new DataFormatException($"{source}: the .npy header has no 'fortran_order' entry: {OneLine(header)}; re-save it with numpy.save.");
        }
        if (fortranMatch.Groups[1].Value == "True")
        {
            throw new DataFormatException($"{source}: array is stored in Fortran (column-major) order, only C order is supported; save np.ascontiguousarray(a) instead.");
        }

        var shapeMatch = ShapeRegex().Match(header);
        if (!shapeMatch.Success)
        {
            throw new DataFormatException($"{source}: the .npy header has no readable 'shape' entry: {OneLine(header)}; re-save it with numpy.save.");
        }
        var shape = ParseShape(shapeMatch.Groups[1].Value, source);

        long count = 1;
        foreach (var d in shape)
        {
            count = d == 0 ? 0 : (count > long.MaxValue / d ? throw TooLarge(source) : count * d);
        }
        if (count > Array.MaxLength / dtype.ItemSize) throw TooLarge(source);
        var nbytes = count * dtype.ItemSize;
        var dataStart = headerStart + headerLen;
        var available = file.Length - dataStart;
        if (available < nbytes)
        {
            throw new DataFormatException(string.Create(CultureInfo.InvariantCulture,
                $"{source}: file is truncated: shape ({string.Join(", ", shape)}) of {dtype.Descr} needs {nbytes} data bytes but only {available} are present; re-create or re-download the file."));
        }
        if (available > nbytes)
        {
            throw new DataFormatException(string.Create(CultureInfo.InvariantCulture,
                $"{source}: {available - nbytes} unexpected bytes after the array data (shape ({string.Join(", ", shape)}) of {dtype.Descr}); save one array per file with numpy.save."));
        }
        var raw = file.Slice(dataStart, (int)nbytes).ToArray();
        if (bigEndian && dtype.ItemSize > 1)
        {
            for (var i = 0; i < raw.Length; i += dtype.ItemSize) raw.AsSpan(i, dtype.ItemSize).Reverse();
        }
        return new NpyArray(source, dtype with { Descr = descrMatch.Groups[1].Value }, shape, raw);
    }

    private static NpyDType ParseDType(string descr, string source, out bool bigEndian)
    {
        bigEndian = false;
        if (descr.Length < 2)
        {
            throw UnsupportedDType(source, descr);
        }
        var order = descr[0];
        var body = descr;
        if (order is '<' or '>' or '|' or '=')
        {
            bigEndian = order == '>';
            body = descr[1..];
        }
        else
        {
            order = '=';
        }
        if (body.Length < 2 || !int.TryParse(body.AsSpan(1), NumberStyles.None, CultureInfo.InvariantCulture, out var size))
        {
            throw UnsupportedDType(source, descr);
        }
        var kind = body[0];
        var ok = kind switch
        {
            'f' => size is 2 or 4 or 8,
            'i' or 'u' => size is 1 or 2 or 4 or 8,
            'b' => size == 1,
            _ => false,
        };
        if (!ok) throw UnsupportedDType(source, descr);
        return new NpyDType(kind, size, descr);
    }

    private static long[] ParseShape(string inner, string source)
    {
        var parts = inner.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var shape = new long[parts.Length];
        for (var i = 0; i < parts.Length; i++)
        {
            // why: numpy writes Python ints, occasionally with an 'L' suffix (Python 2 era files).
            var p = parts[i].TrimEnd('L');
            if (!long.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out shape[i]))
            {
                throw new DataFormatException($"{source}: the .npy shape entry '({OneLine(inner)})' is not a tuple of non-negative integers; re-save it with numpy.save.");
            }
        }
        return shape;
    }

    private static DataFormatException UnsupportedDType(string source, string descr) =>
        new($"{source}: dtype '{OneLine(descr)}' is not supported (expected bool, uint8, int8–int64 or float16/32/64); convert it with a.astype(np.float32) or a.astype(np.uint8).");

    private static DataFormatException Truncated(string source, string what) =>
        new($"{source}: file is truncated inside the .npy {what}; re-create or re-download the file.");

    private static DataFormatException TooLarge(string source) =>
        new($"{source}: the array is too large to load in one piece (more than {Array.MaxLength} bytes); split it into smaller files.");

    private static string OneLine(string header) => Common.SafeText.Escape(header.Trim(), 100);

    [GeneratedRegex(@"['""]descr['""]\s*:\s*['""]([^'""]*)['""]")]
    private static partial Regex DescrRegex();

    [GeneratedRegex(@"['""]fortran_order['""]\s*:\s*(True|False)")]
    private static partial Regex FortranRegex();

    [GeneratedRegex(@"['""]shape['""]\s*:\s*\(([^)]*)\)")]
    private static partial Regex ShapeRegex();
}
