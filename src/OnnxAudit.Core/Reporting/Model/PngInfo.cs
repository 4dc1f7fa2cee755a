using System.Buffers.Binary;

namespace OnnxAudit.Reporting.Model;

/// <summary>Reads the size of a PNG from its IHDR chunk (no decoding).</summary>
public static class PngInfo
{
    private static ReadOnlySpan<byte> Signature => [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>True and the pixel size when <paramref name="png"/> starts with a PNG signature and an IHDR chunk.</summary>
    public static bool TryRead(ReadOnlySpan<byte> png, out int width, out int height)
    {
        width = height = 0;
        // signature (8) + length (4) + "IHDR" (4) + width (4) + height (4)
        if (png.Length < 24 || !png[..8].SequenceEqual(Signature) || !png.Slice(12, 4).SequenceEqual("IHDR"u8)) return false;
        width = BinaryPrimitives.ReadInt32BigEndian(png.Slice(16, 4));
        height = BinaryPrimitives.ReadInt32BigEndian(png.Slice(20, 4));
        return width > 0 && height > 0;
    }
}
