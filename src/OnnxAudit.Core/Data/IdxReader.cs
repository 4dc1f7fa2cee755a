using System.Buffers.Binary;
using System.Globalization;
using System.IO.Compression;
using OnnxAudit.Errors;

namespace OnnxAudit.Data;

/// <summary>
/// Reads IDX files of the MNIST family (images <c>idx3-ubyte</c>, labels <c>idx1-ubyte</c>), plain or gzip-compressed
/// (detected by the gzip magic, not the extension). Only unsigned-byte data (type 0x08) is supported. Stateless.
/// </summary>
public static class IdxReader
{
    /// <summary>One decoded IDX array: dims (big-endian int32 in the file) and the uint8 payload.</summary>
    /// <param name="Dims">The dimensions, outermost first.</param>
    /// <param name="Data">The elements, row-major.</param>
    public sealed record IdxArray(int[] Dims, byte[] Data);

    /// <summary>Reads an IDX file with the expected rank (3 for images, 1 for labels).</summary>
    /// <exception cref="DataFormatException">Missing, directory, bad gzip, bad magic, wrong rank, truncated, trailing bytes.</exception>
    public static IdxArray Read(string path, int expectedRank, out byte[] fileBytes)
    {
        DataFiles.RequireFile(path, expectedRank == 1 ? "an IDX labels file (idx1-ubyte)" : "an IDX images file (idx3-ubyte)");
        Common.MemoryBudget.Check(new FileInfo(path).Length, $"{path}: reading the IDX file", "pass a smaller subset of the data", m => new DataFormatException(m));
        try
        {
            fileBytes = File.ReadAllBytes(path);
        }
        catch (IOException e)
        {
            throw new DataFormatException($"{path}: cannot be read ({e.Message}); check the path and permissions.", e);
        }
        var content = IsGzip(fileBytes) ? Gunzip(fileBytes, path) : fileBytes;
        return Parse(content, path, expectedRank);
    }

    /// <summary>True when the bytes start with the gzip magic 1f 8b.</summary>
    public static bool IsGzip(ReadOnlySpan<byte> bytes) => bytes.Length >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b;

    /// <summary>Parses uncompressed IDX bytes; <paramref name="source"/> names the file in messages.</summary>
    public static IdxArray Parse(ReadOnlySpan<byte> bytes, string source, int expectedRank)
    {
        var kind = expectedRank == 1 ? "labels (idx1-ubyte)" : $"images (idx{expectedRank}-ubyte)";
        if (bytes.Length < 4)
        {
            throw new DataFormatException($"{source}: file is too short to be an IDX file ({bytes.Length} bytes); pass an MNIST-style {kind} file.");
        }
        // why: IDX magic = two zero bytes, a type code (0x08 = unsigned byte), and the number of dimensions.
        if (bytes[0] != 0 || bytes[1] != 0)
        {
            throw new DataFormatException(string.Create(CultureInfo.InvariantCulture,
                $"{source}: bad IDX magic 0x{bytes[0]:x2}{bytes[1]:x2}{bytes[2]:x2}{bytes[3]:x2} (expected 0x000008{expectedRank:x2}); pass an MNIST-style {kind} file."));
        }
        if (bytes[2] != 0x08)
        {
            throw new DataFormatException(string.Create(CultureInfo.InvariantCulture,
                $"{source}: IDX element type 0x{bytes[2]:x2} is not supported (expected 0x08, unsigned byte); convert the data to uint8 or save it as .npy."));
        }
        int rank = bytes[3];
        if (rank != expectedRank)
        {
            throw new DataFormatException(string.Create(CultureInfo.InvariantCulture,
                $"{source}: IDX file has {rank} dimensions but {expectedRank} were expected for {kind} (magic 0x000008{rank:x2}, expected 0x000008{expectedRank:x2}); pass the {kind} file."));
        }
        var headerLen = 4 + 4 * rank;
        if (bytes.Length < headerLen)
        {
            throw new DataFormatException($"{source}: file is truncated inside the IDX header; re-create or re-download the file.");
        }
        var dims = new int[rank];
        long count = 1;
        for (var i = 0; i < rank; i++)
        {
            var d = BinaryPrimitives.ReadInt32BigEndian(bytes[(4 + 4 * i)..]);
            if (d < 0)
            {
                throw new DataFormatException(string.Create(CultureInfo.InvariantCulture,
                    $"{source}: IDX dimension {i} is negative ({d}); the header is corrupt, re-create the file."));
            }
            dims[i] = d;
            count *= d;
            if (count > Array.MaxLength)
            {
                throw new DataFormatException($"{source}: IDX dimensions ({string.Join("×", dims)}) are too large to load; split the file.");
            }
        }
        var available = bytes.Length - headerLen;
        if (available < count)
        {
            throw new DataFormatException(string.Create(CultureInfo.InvariantCulture,
                $"{source}: file is truncated: dims {string.Join("×", dims)} need {count} data bytes but only {available} are present; re-create or re-download the file."));
        }
        if (available > count)
        {
            throw new DataFormatException(string.Create(CultureInfo.InvariantCulture,
                $"{source}: {available - count} unexpected bytes after the IDX data (dims {string.Join("×", dims)}); the header does not match the file, re-create it."));
        }
        return new IdxArray(dims, bytes.Slice(headerLen, (int)count).ToArray());
    }

    /// <summary>
    /// The labels file that belongs to an images file by the standard MNIST naming
    /// (<c>*-images-idx3-ubyte[.gz]</c> ↔ <c>*-labels-idx1-ubyte[.gz]</c>, also <c>images.idx3</c> ↔ <c>labels.idx1</c>),
    /// preferring the same compression; null when no such file exists.
    /// </summary>
    public static string? FindLabelsFor(string imagesPath)
    {
        var dir = Path.GetDirectoryName(imagesPath) ?? "";
        var name = Path.GetFileName(imagesPath);
        var gz = name.EndsWith(".gz", StringComparison.OrdinalIgnoreCase);
        var stem = gz ? name[..^3] : name;
        if (!stem.Contains("images", StringComparison.Ordinal) || !stem.Contains("idx3", StringComparison.Ordinal)) return null;
        var labelStem = stem.Replace("images", "labels", StringComparison.Ordinal).Replace("idx3", "idx1", StringComparison.Ordinal);
        string[] candidates = gz ? [labelStem + ".gz", labelStem] : [labelStem, labelStem + ".gz"];
        foreach (var c in candidates)
        {
            var p = Path.Combine(dir, c);
            if (File.Exists(p)) return p;
        }
        return null;
    }

    /// <summary>Decompresses <paramref name="gz"/> into memory, refusing before the output would exceed
    /// <paramref name="limit"/> bytes (a gzip bomb: 2 MB of zeros can expand to 2 GB).</summary>
    internal static byte[] ReadCapped(Stream gz, string source, long limit)
    {
        // why: a MemoryStream cannot grow beyond 2 GiB ("Stream was too long"); cap at the smaller of both.
        var cap = Math.Min(limit, Array.MaxLength);
        using var output = new MemoryStream();
        var buffer = new byte[81920];
        int n;
        while ((n = gz.Read(buffer, 0, buffer.Length)) > 0)
        {
            if (output.Length + n > cap)
            {
                throw new DataFormatException(string.Create(CultureInfo.InvariantCulture,
                    $"{source}: the gzip data decompresses to more than {Common.MemoryBudget.Format(cap)} (the memory limit{(cap < limit ? " of one array" : "")}; stopped before reading it all); pass a smaller subset of the images or raise the limit with {Common.MemoryBudget.Option} <size> (or {Common.MemoryBudget.Variable}=<size>), e.g. 16G."));
            }
            output.Write(buffer, 0, n);
        }
        return output.ToArray();
    }

    private static byte[] Gunzip(byte[] compressed, string source)
    {
        try
        {
            using var input = new MemoryStream(compressed);
            using var gz = new GZipStream(input, CompressionMode.Decompress);
            return ReadCapped(gz, source, Common.MemoryBudget.Limit);
        }
        catch (InvalidDataException e)
        {
            throw new DataFormatException($"{source}: gzip stream is corrupt or truncated ({e.Message}); re-download the file or pass it uncompressed.", e);
        }
        catch (EndOfStreamException e)
        {
            throw new DataFormatException($"{source}: gzip stream is truncated; re-download the file or pass it uncompressed.", e);
        }
    }
}
